package gui

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"duet/call"
	"duet/call/proto"
)

// signInForm is what the user typed on the sign-in view.
type signInForm struct {
	Server, Account, Token string
}

// normalize trims the fields and completes the server address the way the
// command line does (call.ServerURL), so "127.0.0.1:7600" just works.
func (f signInForm) normalize() (signInForm, error) {
	f.Server = strings.TrimSpace(f.Server)
	f.Account = strings.TrimSpace(f.Account)
	f.Token = strings.TrimSpace(f.Token)
	if f.Server == "" {
		return f, errors.New(lang.L("Enter the server address, e.g. {{.URL}}", args{"URL": defaultServerURL}))
	}
	if f.Account == "" {
		return f, errors.New(lang.L("Enter your account name"))
	}
	u, err := call.ServerURL(f.Server)
	if err != nil {
		return f, err
	}
	f.Server = u
	return f, nil
}

// signInError says, in words a user can act on, why signing in failed.
func signInError(server string, err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	at := args{"Host": hostOf(server), "URL": server, "Err": err}
	switch {
	case errors.Is(err, call.ErrUnauthorized):
		return lang.L("Wrong account or token — check both and sign in again.")
	case errors.Is(err, call.ErrTLSMismatch) && strings.HasPrefix(server, "wss://"):
		return lang.L("The server at {{.Host}} does not use TLS — enter ws://{{.Host}}/ws.", at)
	case errors.Is(err, call.ErrTLSMismatch):
		return lang.L("The server at {{.Host}} uses TLS — enter wss://{{.Host}}/ws.", at)
	case errors.As(err, &dnsErr):
		return lang.L("Cannot find the server {{.Host}} — check the address.", at)
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &opErr):
		return lang.L("Cannot reach the server at {{.Host}} — check the address and that the server is running.", at)
	case errors.Is(err, context.DeadlineExceeded):
		return lang.L("The server at {{.Host}} did not answer in time — check your network and try again.", at)
	case proto.CodeOf(err) == proto.CodeRateLimited:
		return lang.L("Too many sign-in attempts — wait a minute and try again.")
	case strings.Contains(err.Error(), "status code"):
		return lang.L("{{.URL}} is not a Duet server — check the address (it ends in /ws).", at)
	}
	return lang.L("Sign-in failed: {{.Err}}", at)
}

func hostOf(server string) string {
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		return u.Host
	}
	return server
}

// signInView is the first screen: server, account, token.
type signInView struct {
	root    fyne.CanvasObject
	server  *widget.Entry
	account *widget.Entry
	token   *widget.Entry
	button  *widget.Button
	busy    *widget.Activity
	message *widget.Label
}

func newSignInView(f signInForm, onSubmit func(signInForm)) *signInView {
	v := &signInView{
		server:  widget.NewEntry(),
		account: widget.NewEntry(),
		token:   widget.NewPasswordEntry(),
		busy:    widget.NewActivity(),
		message: widget.NewLabel(""),
	}
	v.server.SetPlaceHolder(defaultServerURL)
	v.account.SetPlaceHolder(lang.L("your account name"))
	v.token.SetPlaceHolder(lang.L("leave empty on an open server"))
	v.server.SetText(f.Server)
	v.account.SetText(f.Account)
	v.token.SetText(f.Token)
	submit := func() { onSubmit(v.form()) }
	v.button = widget.NewButtonWithIcon(lang.L("Sign in"), theme.LoginIcon(), submit)
	v.button.Importance = widget.HighImportance
	for _, e := range []*widget.Entry{v.server, v.account, v.token} {
		e.OnSubmitted = func(string) { submit() }
	}
	v.message.Wrapping = fyne.TextWrapWord
	v.message.Alignment = fyne.TextAlignCenter
	v.busy.Hide()

	logo := canvas.NewImageFromResource(appIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Duet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	subtitle := widget.NewLabelWithStyle(lang.L("Sign in to call your team"), fyne.TextAlignCenter, fyne.TextStyle{})
	form := widget.NewForm(
		widget.NewFormItem(lang.L("Server"), v.server),
		widget.NewFormItem(lang.L("Account"), v.account),
		widget.NewFormItem(lang.L("Token"), v.token),
	)
	box := container.NewVBox(logo, title, subtitle, form, container.NewStack(v.button, v.busy), v.message)
	v.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, box.MinSize().Height+60), box))
	return v
}

func (v *signInView) form() signInForm {
	return signInForm{Server: v.server.Text, Account: v.account.Text, Token: v.token.Text}
}

// setBusy shows the spinner in place of the button while dialing.
func (v *signInView) setBusy(busy bool) {
	if busy {
		v.button.Hide()
		v.busy.Show()
		v.busy.Start()
		v.message.SetText(lang.L("Signing in…"))

		return
	}
	v.busy.Stop()
	v.busy.Hide()
	v.button.Show()
}

func (v *signInView) showError(msg string) {
	v.setBusy(false)
	v.message.Importance = widget.DangerImportance
	v.message.SetText(msg)
}

// spacer keeps layouts readable where an empty cell is wanted.
func spacer() fyne.CanvasObject { return layout.NewSpacer() }

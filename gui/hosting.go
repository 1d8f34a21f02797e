package gui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"duet/call/local"
	"duet/call/proto"
	"duet/call/server"
)

// Hosting is the built-in server's side of "Host a server on this
// computer"; *local.Local implements it. Apart from URL, its methods block
// (they open sockets and disconnect guests): call them off the UI thread.
type Hosting interface {
	// URL is the built-in server on loopback.
	URL() string
	// HostLAN starts serving the LAN and returns the URL guests sign in to.
	HostLAN() (string, error)
	// StopHosting ends guests' calls and disconnects them.
	StopHosting() error
	// Invite creates an account for a guest and returns its token.
	Invite(ctx context.Context, name string) (string, error)
}

// hostState is where hosting stands; owned by the UI thread.
type hostState struct {
	url  string // what guests sign in to; "" when not hosting
	busy bool   // starting or stopping
	dlg  *hostDialog
}

// hostingAvailable says whether the Host action can run now and, if not,
// why, in words that say what to do.
func (u *ui) hostingAvailable() (bool, string) {
	switch {
	case u.cfg.Host == nil:
		return false, lang.L("Hosting shares Duet's built-in server, and this window was started for another server (--server). Start Duet without --server to host.")
	case u.host.url != "":
		return true, ""
	case u.conn.form.Server != u.cfg.Host.URL():
		return false, lang.L("You are signed in to {{.Host}}. Hosting shares this computer's built-in server: sign out and sign in to {{.URL}} to host.",
			args{"Host": hostOf(u.conn.form.Server), "URL": u.cfg.Host.URL()})
	}
	return true, ""
}

// loopbackOnly is the ICE policy of the next call; read by the phone's
// goroutines. While hosting, calls may come from the LAN.
func (u *ui) loopbackOnly() bool { return u.cfg.LoopbackOnly && !u.lanICE.Load() }

// hostTapped starts hosting, or shows the hosting details when already
// hosting (button callback).
func (u *ui) hostTapped() {
	if ok, _ := u.hostingAvailable(); !ok || u.host.busy {
		return
	}
	if u.host.url != "" {
		u.showHostDialog()
		return
	}
	u.host.busy = true
	u.syncHosting()
	h := u.cfg.Host
	u.goBG(func(context.Context) {
		hostURL, err := h.HostLAN()
		u.post(func() {
			u.host.busy = false
			if err != nil {
				u.log.Warn("host a server", "err", err)
				u.syncHosting()
				dialog.ShowInformation(lang.L("Cannot host a server"), hostError(err), u.win)
				return
			}
			u.host.url = hostURL
			u.lanICE.Store(true)
			u.syncHosting()
			u.showHostDialog()
		})
	})
}

// stopHosting closes the LAN listener (button callback).
func (u *ui) stopHosting() {
	if u.host.url == "" || u.host.busy {
		return
	}
	u.host.busy = true
	u.closeHostDialog()
	u.syncHosting()
	h := u.cfg.Host
	u.goBG(func(context.Context) {
		err := h.StopHosting()
		u.post(func() {
			u.host.busy = false
			u.host.url = ""
			u.lanICE.Store(false)
			u.syncHosting()
			if err != nil {
				u.log.Warn("stop hosting", "err", err)
			}
			u.notice(lang.L("Stopped hosting: others on the network can no longer sign in here"))
		})
	})
}

// invite creates an account for a guest (button callback of the dialog).
func (u *ui) invite(name string) {
	d := u.host.dlg
	if d == nil {
		return
	}
	name = strings.TrimSpace(name)
	if err := proto.ValidateAccount("account", name); err != nil {
		d.showInviteError(inviteError(name, err))
		return
	}
	if name == u.conn.cfg.Account {
		d.showInviteError(lang.L("That is your own account — it needs no invitation. Pick the name of the person you invite."))
		return
	}
	d.setInviteBusy(true)
	h := u.cfg.Host
	u.goBG(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		token, err := h.Invite(ctx, name)
		u.post(func() {
			if u.host.dlg != d {
				return
			}
			d.setInviteBusy(false)
			if err != nil {
				u.log.Info("invite", "account", name, "err", err)
				d.showInviteError(inviteError(name, err))
				return
			}
			d.showInvitation(name, token)
		})
	})
}

func (u *ui) showHostDialog() {
	u.closeHostDialog()
	d := newHostDialog(u.win, u.host.url, u.conn.cfg.Account, hostDialogActions{
		copy:   u.copyText,
		invite: u.invite,
		stop:   u.stopHosting,
		after:  u.after,
		closed: func(d *hostDialog) {
			if u.host.dlg == d {
				u.host.dlg = nil
			}
		},
	})
	u.host.dlg = d
	d.show()
}

func (u *ui) closeHostDialog() {
	if d := u.host.dlg; d != nil {
		u.host.dlg = nil
		d.hide()
	}
}

// copyText puts text on the clipboard. UI thread.
func (u *ui) copyText(text string) { u.app.Clipboard().SetContent(text) }

// syncHosting shows the hosting state in Settings and the header. UI thread.
func (u *ui) syncHosting() {
	ok, why := u.hostingAvailable()
	u.setView.setHosting(hostingView{available: ok, why: why, url: u.host.url, busy: u.host.busy})
	u.main.setHosting(u.host.url)
}

// copiedFor is how long a Copy button says "Copied".
const copiedFor = 2 * time.Second

// hostError says why hosting could not start.
func hostError(err error) string {
	if errors.Is(err, local.ErrNoLAN) {
		return lang.L("This computer is not connected to a network, so nobody else could reach it. Connect to the LAN or Wi-Fi and try again.")
	}
	return lang.L("Could not open the server to the network: {{.Err}}", args{"Err": err}) + "\n" +
		lang.L("Check that no firewall blocks it and try again.")
}

// inviteError says why an invitation was not made.
func inviteError(name string, err error) string {
	switch {
	case errors.Is(err, server.ErrSignsInWithoutToken), errors.Is(err, local.ErrBuiltIn):
		return lang.L("“{{.Name}}” is already used on this computer. Pick another name.", args{"Name": name})
	case proto.CodeOf(err) == proto.CodeBadRequest:
		return lang.L("Use a name of letters, digits and . _ - @ only, e.g. alice.")
	}
	return lang.L("Could not create the invitation: {{.Err}}", args{"Err": err})
}

// invitationText is what the host sends a guest, in the host's language
// (the command line in it stays as it is).
func invitationText(serverURL, account, token string) string {
	v := args{"URL": serverURL, "Account": account, "Token": token}
	return lang.L("Join me on Duet.", v) + "\n" +
		lang.L("Server:  {{.URL}}", v) + "\n" +
		lang.L("Account: {{.Account}}", v) + "\n" +
		lang.L("Token:   {{.Token}}", v) + "\n\n" +
		lang.L("In Duet, sign out, enter these on the sign-in screen and sign in. Or start Duet with:", v) + "\n" +
		commandLine(serverURL, account, token) + "\n"
}

// commandLine starts Duet signed in as account.
func commandLine(serverURL, account, token string) string {
	return "duet --server " + serverURL + " --account " + account + " --token " + token
}

package gui

import (
	"fyne.io/fyne/v2/lang"

	"duet/call/local"
)

// displayName is how a contact is shown: the built-in ones by what they
// do, in the app's language (local.DisplayName's English names, which the
// contacts filter also matches); other accounts as themselves.
func displayName(account string) string {
	switch account {
	case local.EchoAccount:
		return lang.L("Echo test")
	case local.TestBotAccount:
		return lang.L("Test bot")
	}
	return account
}

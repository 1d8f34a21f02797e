package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"duet/call/server"
)

const accountUsage = `usage: duet account COMMAND [flags]

  duet account add NAME [--label L] [--db FILE]
        create the account if needed and print a new token for it; an account
        has one token per device or person, each revocable on its own
  duet account list [--db FILE]
        list the accounts and their tokens' ids and labels (never the tokens)
  duet account revoke NAME (--token ID | --all) [--db FILE]
        revoke tokens: a running server on the same database disconnects the
        sessions signed in with them within seconds, and they no longer sign in

Run "duet account COMMAND --help" for a command's flags.
`

func runAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, accountUsage)
		return errors.New("duet account: missing command")
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(stdout, accountUsage)
		return nil
	case "add":
		return runAccountAdd(ctx, args[1:], stdout, stderr)
	case "list":
		return runAccountList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runAccountRevoke(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, accountUsage)
	return fmt.Errorf("duet account: unknown command %q", args[0])
}

// accountFlags is a subcommand's flag set with the --db flag every one has.
func accountFlags(name, usage string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("account "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: duet account %s\n\n", usage)
		fs.PrintDefaults()
	}
	db := fs.String("db", filepath.Join(defaultDataDir(), "server.db"), "the server's database: a SQLite file or a postgres:// URL")
	return fs, db
}

// parseNamed parses flags with the account name before or after them.
func parseNamed(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if name == "" && fs.NArg() == 1 {
		return fs.Arg(0), nil
	}
	if name == "" || fs.NArg() > 0 {
		fs.Usage()
		return "", errors.New("give one account name")
	}
	return name, nil
}

func openAccounts(db string, create bool) (*server.Accounts, error) {
	if create {
		if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	} else if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("no server database at %s (pass --db): %w", db, err)
	}
	return server.OpenAccounts(db)
}

func runAccountAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := accountFlags("add", "add NAME [--label L] [--db FILE]\n\n"+
		"Creates the account if needed and prints a new token for it. Other tokens of the\n"+
		"account stay valid; revoke them with duet account revoke.", stderr)
	label := fs.String("label", "", "what the token is for (a device or person), shown by duet account list")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	a, err := openAccounts(*db, true)
	if err != nil {
		return err
	}
	defer a.Close()
	token, info, err := a.AddToken(ctx, name, *label)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "token %d for %s; sign in with --account %s --token TOKEN (it is not shown again),\n"+
		"or in a browser with the link https://HOST:PORT/#invite=%s:TOKEN (docs/web.md)\n",
		info.ID, name, name, url.PathEscape(name))
	return nil
}

func runAccountList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := accountFlags("list", "list [--db FILE]\n\nLists the accounts and their tokens' ids, labels and state.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errors.New("duet account list takes no arguments")
	}
	a, err := openAccounts(*db, false)
	if err != nil {
		return err
	}
	defer a.Close()
	accounts, err := a.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tTOKEN\tLABEL\tCREATED\tSTATE")
	for _, acc := range accounts {
		if len(acc.Tokens) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t%s\tno tokens: signs in only on an open server\n", acc.Name, stamp(acc.Created))
		}
		for _, t := range acc.Tokens {
			label := t.Label
			if t.Bare && label == "" {
				label = "(from before token ids)"
			}
			state := "valid"
			if !t.Revoked.IsZero() {
				state = "revoked " + stamp(t.Revoked)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", acc.Name, t.ID, label, stamp(t.Created), state)
		}
	}
	return tw.Flush()
}

func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

func runAccountRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db := accountFlags("revoke", "revoke NAME (--token ID | --all) [--db FILE]\n\n"+
		"Revokes tokens. A server running on the same database disconnects the sessions\n"+
		"signed in with them within seconds; they can no longer sign in.", stderr)
	id := fs.Int64("token", 0, "the id of the token to revoke (see duet account list)")
	all := fs.Bool("all", false, "revoke every token of the account")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	if (*id == 0) == !*all {
		fs.Usage()
		return errors.New("give either --token ID or --all")
	}
	if *id < 0 {
		return fmt.Errorf("token id %d: ids are positive; see duet account list", *id)
	}
	a, err := openAccounts(*db, false)
	if err != nil {
		return err
	}
	defer a.Close()
	revoked, err := a.Revoke(ctx, name, *id)
	if err != nil {
		return err
	}
	for _, t := range revoked {
		fmt.Fprintf(stdout, "revoked token %d of %s", t.ID, name)
		if t.Label != "" {
			fmt.Fprintf(stdout, " (%s)", t.Label)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

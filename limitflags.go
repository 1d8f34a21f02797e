package main

import (
	"flag"

	"duet/call/server"
)

// addLimitFlags adds duet serve's rate-limit flags to fs; the returned
// limits hold what was given once fs is parsed.
func addLimitFlags(fs *flag.FlagSet) *server.Limits {
	l := server.DefaultLimits()
	l.FloodStrikes = 0 // follows the messages' burst, as it is given
	rate := func(name string, r *server.Rate, what string) {
		fs.Func(name, what+": BURST,EVERY (at most BURST at once, then one every EVERY) or off (default "+r.Flag()+")",
			func(v string) error {
				parsed, err := server.ParseRate(v)
				if err != nil {
					return err
				}
				*r = parsed
				return nil
			})
	}
	rate("limit-messages", &l.Messages, "messages on one connection")
	rate("limit-calls", &l.Calls, "calls placed by one account, across its devices")
	rate("limit-rings", &l.Rings, "calls placed to one account, from every caller together; answered calls are given back")
	rate("limit-relay", &l.RelayKiB, "relay payload one connection sends, in KiB (offers, answers, candidates)")
	fs.BoolVar(&l.Off, "no-limits", false, "lift every rate limit (load tests on a server of your own)")
	return &l
}

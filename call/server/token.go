package server

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
)

// A token is "<id>.<secret>": the id picks the one stored hash to check,
// so a sign-in costs one hash however many tokens the account has; the
// secret is 192 random bits in base64url (which has no '.'). Tokens issued
// before accounts had several are a bare secret and carry no id.

// secretBytes is the size of a token's random part.
const secretBytes = 24

func newSecret() string {
	raw := make([]byte, secretBytes)
	rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func formatToken(id int64, secret string) string {
	return strconv.FormatInt(id, 10) + "." + secret
}

// parseToken splits a token from a login. id is 0 for a bare (old) token;
// ok is false when the token cannot be one the server issued.
func parseToken(tok string) (id int64, secret string, ok bool) {
	idPart, secret, dotted := strings.Cut(tok, ".")
	if !dotted {
		return 0, tok, tok != ""
	}
	if secret == "" || idPart == "" || idPart[0] < '1' || idPart[0] > '9' {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return id, secret, true
}

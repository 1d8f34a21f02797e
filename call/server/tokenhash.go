package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// argonParams are the argon2id costs a hash was made with; they are stored
// with it, so raising them later leaves old hashes valid.
type argonParams struct {
	time    uint32 // passes
	memory  uint32 // KiB
	threads uint8
}

// defaultArgon is a modest cost: tokens are 192-bit random, so the hash
// has no weak secret to protect from guessing, only a stolen database to
// make useless. 19 MiB, 2 passes is OWASP's smallest argon2id setting.
var defaultArgon = argonParams{time: 2, memory: 19 * 1024, threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Bounds on stored parameters: a corrupt or hostile row must not make one
// sign-in allocate gigabytes or spin for minutes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// tokenHash is a parsed stored hash: argon2id, or the unsalted SHA-256 of
// databases from before tokens were hashed with argon2id, which is
// replaced at its first successful use.
type tokenHash struct {
	legacy bool
	params argonParams
	salt   []byte
	key    []byte // the argon2id output, or the SHA-256 digest when legacy
}

var errBadHash = errors.New("malformed token hash")

// hashCost is the cost of new hashes: defaultArgon, except in tests of
// other things than tokens (export_test.go).
var hashCost atomic.Pointer[argonParams]

func init() { hashCost.Store(&defaultArgon) }

// hashSecret makes the stored form of a new secret, a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, unpadded standard base64.
func hashSecret(secret string) string {
	return hashSecretWith(secret, *hashCost.Load())
}

func hashSecretWith(secret string, p argonParams) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(secret), salt, p.time, p.memory, p.threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// legacyHash is how a database from before argon2id holds a token: the
// SHA-256 of the whole token, hex, moved out of the accounts table.
func legacyHash(digest []byte) string { return "$sha256$" + hex.EncodeToString(digest) }

// parseHash reads a stored hash.
func parseHash(s string) (tokenHash, error) {
	parts := strings.Split(s, "$")
	switch {
	case len(parts) == 3 && parts[0] == "" && parts[1] == "sha256":
		d, err := hex.DecodeString(parts[2])
		if err != nil || len(d) != sha256.Size {
			return tokenHash{}, fmt.Errorf("%w: bad sha256 digest", errBadHash)
		}
		return tokenHash{legacy: true, key: d}, nil
	case len(parts) == 6 && parts[0] == "" && parts[1] == "argon2id":
	default:
		return tokenHash{}, fmt.Errorf("%w: unknown format", errBadHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return tokenHash{}, fmt.Errorf("%w: unsupported argon2 version %q", errBadHash, parts[2])
	}
	p, err := parseArgonParams(parts[3])
	if err != nil {
		return tokenHash{}, err
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return tokenHash{}, fmt.Errorf("%w: bad salt", errBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return tokenHash{}, fmt.Errorf("%w: bad key", errBadHash)
	}
	return tokenHash{params: p, salt: salt, key: key}, nil
}

// parseArgonParams reads "m=19456,t=2,p=1", in that order.
func parseArgonParams(s string) (argonParams, error) {
	var p argonParams
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return p, fmt.Errorf("%w: bad parameters %q", errBadHash, s)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || n == 0 || v[0] == '0' {
			return p, fmt.Errorf("%w: bad parameters %q", errBadHash, s)
		}
		vals[i] = n
	}
	if vals[0] > maxArgonMemory || vals[1] > maxArgonTime || vals[2] > maxArgonThreads || vals[0] < 8*vals[2] {
		return p, fmt.Errorf("%w: parameters %q out of range", errBadHash, s)
	}
	return argonParams{memory: uint32(vals[0]), time: uint32(vals[1]), threads: uint8(vals[2])}, nil
}

// matches reports whether secret hashes to h, in constant time. For an
// argon2id hash this costs the hash's memory and time: callers bound how
// many run at once.
func (h tokenHash) matches(secret string) bool {
	if h.legacy {
		d := sha256.Sum256([]byte(secret))
		return subtle.ConstantTimeCompare(d[:], h.key) == 1
	}
	key := argon2.IDKey([]byte(secret), h.salt, h.params.time, h.params.memory, h.params.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

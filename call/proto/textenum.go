package proto

import "fmt"

// textEnum maps the values of a small enum to their wire strings; index 0 is
// the unknown value and never appears on the wire.
type textEnum []string

func (e textEnum) name(v int) string {
	if v <= 0 || v >= len(e) {
		return fmt.Sprintf("unknown(%d)", v)
	}
	return e[v]
}

func (e textEnum) marshal(kind string, v int) ([]byte, error) {
	if v <= 0 || v >= len(e) {
		return nil, fmt.Errorf("%s %d has no wire form", kind, v)
	}
	return []byte(e[v]), nil
}

func (e textEnum) unmarshal(kind string, b []byte) (int, error) {
	for i := 1; i < len(e); i++ {
		if e[i] == string(b) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q", kind, b)
}

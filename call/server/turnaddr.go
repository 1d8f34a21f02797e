package server

import "net"

// PrimaryIPv4 is the machine's IPv4 address on its default route, else its
// first non-loopback IPv4 address, else loopback: the address a TURN relay
// is advertised at when none is given.
func PrimaryIPv4() net.IP {
	// Connecting a UDP socket sends nothing; it only picks the route.
	if c, err := net.Dial("udp4", "192.0.2.1:9"); err == nil {
		ip := c.LocalAddr().(*net.UDPAddr).IP
		c.Close()
		if !ip.IsLoopback() && !ip.IsUnspecified() {
			return ip.To4()
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				return n.IP.To4()
			}
		}
	}
	return net.IPv4(127, 0, 0, 1).To4()
}

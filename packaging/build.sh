#!/bin/sh
# Builds the Linux packages into DIR (default .): Duet.tar.xz (fyne
# package) and duet_VERSION_ARCH.deb. libvpx, libopus, the WebRTC audio
# processing module and libXext are linked statically, and the C++ runtime
# with them, so the binary needs only glibc, OpenGL and X11: Debian 12's libvpx.so.7
# is libvpx.so.9 on Ubuntu 24.04, and libwebrtc_audio_processing.so.1 is
# not installed on most desktops.
set -eu
mkdir -p "${1:-.}"
out=$(cd "${1:-.}" && pwd)
cd "$(dirname "$0")/.."
GO=${GO:-go}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
work=out/package
rm -rf "$work"
mkdir -p "$work/pkgconfig" "$work/deb/DEBIAN"

# cgo asks pkg-config for these libraries (pion/mediadevices' VP8 decoder
# too, whose cgo lines are not ours), so .pc files put first on the path
# name their archives: -l:libvpx.a rather than -Wl,-Bstatic -lvpx, which
# pkg-config would merge away when a package asks for two libraries.
static_pc() { # name archive other-flags
	cat >"$work/pkgconfig/$1.pc" <<PC
Name: $1
Description: $1, linked statically into the Duet package
Version: $(pkg-config --modversion "$1")
Cflags: $(pkg-config --cflags "$1")
Libs: -L$(pkg-config --variable=libdir "$1") -l:$2 $3
PC
}
static_pc vpx libvpx.a "-lm -lpthread"
static_pc opus libopus.a -lm
static_pc webrtc-audio-processing libwebrtc_audio_processing.a "-lpthread -lm"
# X11's shared-memory extension, for screen sharing (mediadevices' screen
# driver): libXext is not always installed where libX11 is.
static_pc xext libXext.a -lX11

# Go's build cache keys a cgo package by its CGO_* flags but not by what
# pkg-config says: the .pc files' checksum in CGO_CFLAGS keeps objects
# built against the shared libraries (or older .pc files) out of this
# build. The C++ runtime goes in statically for the audio processing
# module.
fingerprint=$(cat "$work"/pkgconfig/*.pc | cksum | cut -d' ' -f1)
cp FyneApp.toml "$work/FyneApp.toml.orig"
trap 'cp "$work/FyneApp.toml.orig" FyneApp.toml' EXIT
PKG_CONFIG_PATH="$PWD/$work/pkgconfig" \
CGO_CFLAGS="-g -O2 -DDUET_STATIC_PC=$fingerprint" \
CGO_LDFLAGS="-g -O2 -static-libstdc++ -static-libgcc" \
GOFLAGS="-buildvcs=true -ldflags=-X=main.version=$version" \
	$GO run fyne.io/tools/cmd/fyne@v1.7.4 package -os linux -release
[ "$out" = "$PWD" ] || mv Duet.tar.xz "$out/"

# The .deb holds what the tar.xz installs, under /usr.
tar xJf "$out/Duet.tar.xz" -C "$work"
install -Dm755 "$work/duet/usr/local/bin/duet" "$work/deb/usr/bin/duet"
install -Dm644 "$work/duet/usr/local/share/applications/dev.duet.app.desktop" "$work/deb/usr/share/applications/dev.duet.app.desktop"
install -Dm644 "$work/duet/usr/local/share/pixmaps/dev.duet.app.png" "$work/deb/usr/share/pixmaps/dev.duet.app.png"
# Debian versions start with a digit: the app's version, then the commit.
app=$(sed -n 's/^Version = "\(.*\)"/\1/p' FyneApp.toml)
debversion="$app+git.$(echo "$version" | tr -c 'A-Za-z0-9.\n' .)"
arch=$(dpkg --print-architecture)
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" \
	-e "s/@SIZE@/$(du -sk "$work/deb/usr" | cut -f1)/" packaging/debian/control >"$work/deb/DEBIAN/control"
rm -f "$out"/duet_*.deb
dpkg-deb --root-owner-group -Zxz --build "$work/deb" "$out/duet_${debversion}_$arch.deb" >/dev/null
echo "$out/Duet.tar.xz"
echo "$out/duet_${debversion}_$arch.deb"

#!/bin/bash
# Install or check everything rust_oom_guard builds and tests with, from
# package registries only: Debian packages, the pinned Rust toolchain,
# bindgen-cli, the kernel source (Debian's linux-source package), static
# busybox and Debian's earlyoom (with its libc) for each guest arch.
# Idempotent: what is already there is skipped.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $0 [--check]
  --check   only report what is missing; install nothing (exit 1 if anything is)
Pinned versions: scripts/versions.env (rustc $RUST_VERSION, bindgen $BINDGEN_VERSION,
  LLVM $LLVM_VERSION, linux-source-$KERNEL_SERIES $(series_var "$KERNEL_SERIES" DEB_VERSION) from $(series_var "$KERNEL_SERIES" SUITE)
  (and with SERIES=<series>: ${KERNEL_SERIES_ALL//,/, }, rows in versions.env),
  earlyoom $EARLYOOM_VERSION from $DEBIAN_SUITE, prometheus_client $PROMETHEUS_CLIENT_VERSION)
Cache: $CACHE (OOM_GUARD_CACHE or XDG_CACHE_HOME to move it)
USAGE
}
CHECK_ONLY=0
case ${1:-} in
-h | --help) usage; exit 0 ;;
--check) CHECK_ONLY=1 ;;
"") ;;
*) usage >&2; exit 2 ;;
esac

missing_any=0
need() {
	missing_any=1
	if [ "$CHECK_ONLY" = 1 ]; then
		printf 'missing: %s\n' "$*" >&2
		return 1
	fi
	msg "installing $*"
}

# Runs a command quietly; on failure prints its last lines and one clear line.
quiet() {
	local what=$1 log
	shift
	log=$(mktemp)
	if ! "$@" >"$log" 2>&1; then
		tail -n 15 "$log" >&2
		rm -f "$log"
		die "$what"
	fi
	rm -f "$log"
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

# --- Rust toolchain ------------------------------------------------------------
command -v rustup >/dev/null ||
	die "rustup not found: install rustup (Debian trixie and later: 'apt-get install rustup'), then re-run"
if ! rustup toolchain list | grep -q "^$RUST_VERSION-"; then
	if need "Rust toolchain $RUST_VERSION"; then
		quiet "rustup could not install toolchain $RUST_VERSION (network to the Rust distribution server?)" \
			rustup toolchain install "$RUST_VERSION" --profile minimal
	fi
fi
if rustup toolchain list | grep -q "^$RUST_VERSION-"; then
	installed=$(rustup component list --installed --toolchain "$RUST_VERSION" 2>/dev/null)
	for c in rust-src clippy rustfmt; do
		if ! grep -q "^$c" <<<"$installed" && need "rustup component $c ($RUST_VERSION)"; then
			quiet "rustup could not add component $c to $RUST_VERSION" \
				rustup component add --toolchain "$RUST_VERSION" "$c"
		fi
	done
	for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
		if ! grep -q "^rust-std-$t" <<<"$installed" && need "rustup target $t ($RUST_VERSION)"; then
			quiet "rustup could not add target $t to $RUST_VERSION" \
				rustup target add --toolchain "$RUST_VERSION" "$t"
		fi
	done
fi

# --- bindgen-cli ---------------------------------------------------------------------
# Compiled from crates.io in the background (a few minutes) while the rest
# is downloaded; waited for at the end. Its build needs no libclang.
bindgen_pid=
start_bindgen() {
	[ -z "$bindgen_pid" ] || return 0
	[ "$("$TOOLS_DIR/bin/bindgen" --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ] || return 0
	need "bindgen-cli $BINDGEN_VERSION (cargo install, in the background)" || return 0
	mkdir -p "$TOOLS_DIR"
	cargo install --locked --root "$TOOLS_DIR" bindgen-cli --version "$BINDGEN_VERSION" \
		>"$TOOLS_DIR/bindgen-install.log" 2>&1 &
	bindgen_pid=$!
}
# Its build scripts need a C compiler: without one, wait for apt to bring gcc.
command -v cc >/dev/null && start_bindgen

# --- Debian packages ----------------------------------------------------------
PKGS=(
	"clang-$LLVM_VERSION" "lld-$LLVM_VERSION" "llvm-$LLVM_VERSION" "libclang-$LLVM_VERSION-dev"
	qemu-system-x86 qemu-system-arm
	make gcc libc6-dev flex bison bc cpio kmod libelf-dev libssl-dev rsync xz-utils gzip
	dpkg-dev ca-certificates
	# mkfs.ext4 for the board guests' data disk (scripts/mkdisk.sh).
	e2fsprogs
	# The host tests check the metrics output with Python's prometheus_client parser.
	python3 python3-pip
)
missing_pkgs=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing_pkgs+=("$p")
done
if [ ${#missing_pkgs[@]} -gt 0 ] && need "Debian packages: ${missing_pkgs[*]}"; then
	command -v apt-get >/dev/null || die "apt-get not found: install ${missing_pkgs[*]} with your package manager"
	quiet "apt-get update failed: check access to Debian's archive (network or proxy)" \
		as_root apt-get update
	# --no-install-recommends keeps QEMU's GUI stack (and its conflicts) out.
	quiet "could not install ${missing_pkgs[*]} from Debian's archive (see apt's lines above)" \
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing_pkgs[@]}"
fi

start_bindgen

# --- A private apt for single downloads from other suites ----------------------------
# The system's sources are never touched: this apt has its own sources list,
# state and cache under $CACHE/apt and is used only for `apt-get download`.
APT_DIR=$CACHE/apt
papt_opts=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::State::Status=$APT_DIR/status"
	-o "Dir::Cache=$APT_DIR/cache" -o Dir::Etc::Preferences=/dev/null
	-o "Dir::Etc::PreferencesParts=$APT_DIR/preferences.d"
	-o APT::Architectures::=amd64 -o APT::Architectures::=arm64
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root
)
# The Debian archive this system's apt uses, as its own sources name it (a mirror or a proxy
# in front of it included): the repository of a Debian release that is not a -security suite.
# Asked of apt itself (`apt-get indextargets`), so .list and deb822 .sources files are both
# read; the origin comes from the Release files apt has fetched, and without them the suite
# name has to match DEBIAN_SUITE (or DEBIAN_SUITE-updates and the like).
debian_archive() {
	local targets uri
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "${DEBIAN_MIRROR%/}"
		return 0
	fi
	command -v apt-get >/dev/null || return 0
	# Whole outputs first, then awk on them: an awk that stops early must not break a pipe
	# (set -o pipefail would end set-up without a word).
	targets=$(apt-get indextargets --format '$(ORIGIN) $(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null || true)
	uri=$(awk '$1 == "Debian" && $2 !~ /-security$/ { print $3; exit }' <<<"$targets")
	if [ -z "$uri" ]; then
		targets=$(apt-get indextargets --no-release-info --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null || true)
		uri=$(awk -v s="$DEBIAN_SUITE" '($1 == s || index($1, s "-") == 1) && $1 !~ /-security$/ { print $2; exit }' <<<"$targets")
	fi
	echo "${uri%/}"
}
papt_ready=0
papt_update() {
	[ "$papt_ready" = 1 ] && return
	mkdir -p "$APT_DIR"/{lists/partial,cache/archives/partial,preferences.d}
	: >"$APT_DIR/status"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	archive=$(debian_archive)
	[ -n "$archive" ] ||
		die "found no Debian archive in this system's apt sources (/etc/apt/sources.list*): add your Debian mirror there, or set DEBIAN_MIRROR=<URI of a Debian mirror that carries $(series_var "$KERNEL_SERIES" SUITE) and $DEBIAN_SUITE>"
	# The suites of every kernel series (versions.env) and DEBIAN_SUITE, once each.
	suites=$(for s in ${KERNEL_SERIES_ALL//,/ }; do series_var "$s" SUITE; done; echo "$DEBIAN_SUITE")
	suites=$(awk '!seen[$0]++' <<<"$suites" | tr '\n' ' ')
	for s in $suites; do
		echo "deb [signed-by=$keyring] $archive $s main"
	done >"$APT_DIR/sources.list"
	quiet "could not read $suites(main) from the Debian archive $archive (taken from $( [ -n "${DEBIAN_MIRROR:-}" ] && echo DEBIAN_MIRROR || echo "this system's apt sources")). Check the network or proxy; if that mirror does not carry them, set DEBIAN_MIRROR=<URI of one that does>" \
		apt-get "${papt_opts[@]}" --error-on=any update
	papt_ready=1
}
papt() { apt-get "${papt_opts[@]}" "$@"; }
papt_cache() { apt-cache "${papt_opts[@]}" "$@"; }

# --- Kernel source ------------------------------------------------------------------
# The default series always; others when asked for ($SERIES, comma- or space-separated: what
# `make SERIES=6.12 …` and `make test`'s 6.12 suites need).
fetch_kernel_source() { # fetch_kernel_source SERIES
	local series=$1 pinned suite ver newest deb debs=$CACHE/debs
	local dir=$SRC_DIR/linux-source-$series
	if [ "$series" = "$KERNEL_SERIES" ]; then
		[ -f "$SRC_DIR/current/.guard-source" ] && return 0
	else
		[ -f "$dir/.guard-source" ] && return 0
	fi
	need "kernel source linux-source-$series" || return 0
	papt_update
	pinned=$(series_var "$series" DEB_VERSION)
	suite=$(series_var "$series" SUITE)
	ver=$(papt_cache policy "linux-source-$series" 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		[ "$series" = "$KERNEL_SERIES" ] ||
			die "no linux-source-$series in $suite: update its row in scripts/versions.env"
		newest=$(papt_cache pkgnames linux-source-7. 2>/dev/null | sed -n 's/^linux-source-\(7\.[0-9]*\)$/\1/p' | sort -V | tail -n1)
		[ -n "$newest" ] || die "no linux-source-$series nor any linux-source-7.* in $suite or $DEBIAN_SUITE: update KERNEL_SERIES and its row in scripts/versions.env"
		warn "################################################################"
		warn "linux-source-$series (pinned in scripts/versions.env) is no longer"
		warn "in $suite; falling back to the newest series there:"
		warn "linux-source-$newest. Results may differ from the tested $pinned."
		warn "################################################################"
		series=$newest
		dir=$SRC_DIR/linux-source-$series
		ver=$(papt_cache policy "linux-source-$series" | awk '/Candidate:/ {print $2}')
	elif [ "$ver" != "$pinned" ]; then
		msg "note: $suite has linux-source-$series $ver (pinned: $pinned); using it"
	fi
	mkdir -p "$debs"
	(cd "$debs" && quiet "could not download linux-source-$series $ver from Debian's archive" \
		papt download "linux-source-$series=$ver")
	deb=$(ls -t "$debs"/linux-source-"$series"_*.deb | head -n1)
	msg "extracting $(basename "$deb") into $SRC_DIR"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
		tar -xJ -C "$dir.tmp" ||
		die "could not extract $deb (disk full?)"
	rm -rf "$dir"
	mv "$dir.tmp/linux-source-$series" "$dir"
	rmdir "$dir.tmp"
	echo "linux-source-$series $ver" >"$dir/.guard-source"
	# The default series is the one `current` names (or its fallback).
	[ "$1" = "$KERNEL_SERIES" ] && ln -sfn "linux-source-$series" "$SRC_DIR/current"
	rm -f "$deb"
}
mkdir -p "$SRC_DIR"
fetch_kernel_source "$KERNEL_SERIES"
sers=${SERIES:-}
for series in ${sers//,/ }; do
	series=$(series_of "$series")
	[ -z "$series" ] || fetch_kernel_source "$series"
done

# --- Static busybox for each guest arch ------------------------------------------------
for darch in amd64 arm64; do
	bb=$CACHE/busybox/$darch/busybox
	[ -x "$bb" ] && continue
	need "busybox-static ($darch, for the guest initramfs)" || continue
	papt_update
	tmp=$(mktemp -d)
	# From DEBIAN_SUITE, not the newest of the suites the kernel sources come from:
	# sid moves (its busybox-static lives in /usr/bin since 1.38).
	(cd "$tmp" && quiet "could not download busybox-static:$darch from Debian $DEBIAN_SUITE" \
		papt download "busybox-static:$darch/$DEBIAN_SUITE")
	dpkg-deb -x "$tmp"/busybox-static_*_"$darch".deb "$tmp/x" || die "could not extract busybox-static:$darch"
	src=
	for f in "$tmp/x/bin/busybox" "$tmp/x/usr/bin/busybox"; do
		[ -f "$f" ] && [ ! -L "$f" ] && src=$f && break
	done
	[ -n "$src" ] || die "busybox-static:$darch from $DEBIAN_SUITE has no bin/busybox or usr/bin/busybox"
	mkdir -p "$(dirname "$bb")"
	install -m 0755 "$src" "$bb"
	rm -rf "$tmp"
done

# --- earlyoom for each guest arch (a peer for the benchmarks) ---------------------------
# Debian's dynamically linked earlyoom with a minimal sysroot around it: the ELF
# interpreter and every library it NEEDs (recursively), as real files at the
# paths glibc's loader searches. mkinitramfs.sh copies the tree into the guest's /.
deb_triplet() {
	case $1 in
	amd64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	*) die "no multiarch triplet known for Debian arch $1" ;;
	esac
}
# Resolves PATH (absolute, as seen from inside ROOT) to a real file under ROOT,
# following symlinks (absolute ones relative to ROOT); prints nothing if it
# does not lead to a regular file.
resolve_in() {
	local root=$1 p=$2 t n=0
	while [ -L "$root$p" ] && [ $n -lt 20 ]; do
		t=$(readlink "$root$p")
		case $t in
		/*) p=$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
		n=$((n + 1))
	done
	[ -f "$root$p" ] && [ ! -L "$root$p" ] && echo "$root$p"
	return 0
}
for darch in amd64 arm64; do
	eo=$CACHE/earlyoom/$darch
	[ -f "$eo/.guard-earlyoom" ] && continue
	need "earlyoom ($darch, a peer for the guest benchmarks)" || continue
	papt_update
	# DEBIAN_SUITE's earlyoom and libc6: the other suites (sid above all) carry newer ones.
	ver=$(papt_cache -o "APT::Default-Release=$DEBIAN_SUITE" policy "earlyoom:$darch" 2>/dev/null | awk '/Candidate:/ {print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		die "no earlyoom:$darch in $DEBIAN_SUITE: update DEBIAN_SUITE or EARLYOOM_VERSION in scripts/versions.env"
	[ "$ver" = "$EARLYOOM_VERSION" ] ||
		warn "$DEBIAN_SUITE has earlyoom $ver, not the pinned $EARLYOOM_VERSION (scripts/versions.env); using it"
	triplet=$(deb_triplet "$darch")
	tmp=$(mktemp -d)
	(cd "$tmp" && quiet "could not download earlyoom:$darch $ver and libc6:$darch from Debian $DEBIAN_SUITE" \
		papt download "earlyoom:$darch=$ver" "libc6:$darch/$DEBIAN_SUITE")
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$tmp/x" || die "could not extract $d"
	done
	root=$tmp/x
	out=$tmp/sysroot
	mkdir -p "$out/usr/bin" "$out/lib/$triplet"
	install -m 0755 "$root/usr/bin/earlyoom" "$out/usr/bin/earlyoom"
	interp=$(readelf -l "$root/usr/bin/earlyoom" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || die "earlyoom:$darch has no ELF interpreter (not dynamically linked?)"
	real=$(resolve_in "$root" "$interp")
	[ -n "$real" ] || die "earlyoom:$darch wants interpreter $interp, which libc6:$darch does not provide"
	mkdir -p "$out$(dirname "$interp")"
	install -m 0755 "$real" "$out$interp"
	# Every library NEEDed by earlyoom or by a library already copied.
	todo=("$out/usr/bin/earlyoom")
	while [ ${#todo[@]} -gt 0 ]; do
		elf=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$out/lib/$triplet/$lib" ] && continue
			real=
			for dir in "/lib/$triplet" "/usr/lib/$triplet" /lib /usr/lib; do
				real=$(resolve_in "$root" "$dir/$lib")
				[ -n "$real" ] && break
			done
			[ -n "$real" ] || die "earlyoom:$darch needs $lib, which libc6:$darch does not provide"
			install -m 0755 "$real" "$out/lib/$triplet/$lib"
			todo+=("$out/lib/$triplet/$lib")
		done
	done
	echo "earlyoom $ver $(cd "$tmp" && ls libc6_*.deb)" >"$out/.guard-earlyoom"
	rm -rf "$eo"
	mkdir -p "$(dirname "$eo")"
	mv "$out" "$eo"
	rm -rf "$tmp"
done

# --- prometheus_client (the host tests' Prometheus text parser) -----------------------
# From PyPI into the cache, not the system's Python; the tests find it there
# ($TOOLS_DIR/python, userspace/reader/tests/metrics.rs).
PY_DIR=$TOOLS_DIR/python
have_prom=$(PYTHONPATH=$PY_DIR python3 -c \
	'import importlib.metadata as m; print(m.version("prometheus_client"))' 2>/dev/null || true)
if [ "$have_prom" != "$PROMETHEUS_CLIENT_VERSION" ] &&
	need "prometheus_client $PROMETHEUS_CLIENT_VERSION (pip, into $PY_DIR)"; then
	rm -rf "$PY_DIR"
	quiet "pip could not install prometheus_client $PROMETHEUS_CLIENT_VERSION from PyPI (network?)" \
		python3 -m pip install --disable-pip-version-check --no-input --root-user-action=ignore \
		--target "$PY_DIR" "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
fi

if [ "$CHECK_ONLY" = 0 ] && [ -n "$bindgen_pid" ]; then
	msg "waiting for bindgen-cli $BINDGEN_VERSION to finish building"
	if ! wait "$bindgen_pid"; then
		tail -n 15 "$TOOLS_DIR/bindgen-install.log" >&2
		die "cargo could not install bindgen-cli $BINDGEN_VERSION from crates.io (network?); log: $TOOLS_DIR/bindgen-install.log"
	fi
fi

# --- Final check ---------------------------------------------------------------------
if [ "$CHECK_ONLY" = 1 ]; then
	[ "$missing_any" = 0 ] && msg "everything is installed"
	exit "$missing_any"
fi
out=$(make -C "$(kernel_src)" LLVM="-$LLVM_VERSION" rustavailable 2>&1) ||
	die "the kernel says Rust is not available: $(grep -m1 -i 'error\|not found\|too' <<<"$out")"
[ "$missing_any" = 0 ] && msg "set-up complete: nothing was missing" || msg "set-up complete"

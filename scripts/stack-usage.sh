#!/bin/bash
# The worst-case stack below the module's OOM notifier callback (or any other root), from the
# compiler's own per-function frame sizes. The callback runs inside the kernel's
# out_of_memory(), deep in the allocator's slow path, so what it adds there must be small and
# known. This builds a copy of the module with -Zemit-stack-sizes in a temporary directory (the
# checkout's build is not touched), reads the frame sizes from its .stack_sizes section and the
# call graph of the module's own functions from its disassembly and relocations, and prints the
# deepest chain below each root. Calls into the kernel end a chain: their stack is not known
# here, so they are listed, not counted.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

DEFAULT_ROOT='OomNotifier<.*>>::call$'

usage() {
	cat <<USAGE
usage: $0 [--root REGEX]... [--rev REV | --obj FILE] [--keep]
Prints, for each root function of rust_oom_guard, the worst-case stack bytes below it, the
deepest call chain (function : frame bytes) and the kernel functions called below it.
  --root REGEX  root functions: an extended (awk) regex matched against the demangled and the
                mangled names; repeatable (default: '$DEFAULT_ROOT',
                the OOM notifier callback)
  --rev REV     build the module sources and Kbuild of git revision REV instead of the work tree
  --obj FILE    analyse this object, built with -Zemit-stack-sizes, instead of building one
  --keep        keep the temporary directory (its path is printed)
Environment (defaults):
  ARCH=${ARCH:-$(host_arch)}  x86_64 or arm64
  VARIANT=${VARIANT:-}  kernel variant: '' or debug
  KDIR=${KDIR:-$KBUILD_ROOT/ARCH[-VARIANT]}  kernel build tree, already built (never built here)
  LLVM=${LLVM:--$LLVM_VERSION}  suffix of llvm-objdump, llvm-readobj and llvm-cxxfilt
Totals are the frame sizes from .stack_sizes plus, on x86_64, the 8-byte return address that
each call pushes (arm64 keeps it in the link register, saved inside the callee's frame).
USAGE
}

ROOT_RES=()
REV=
OBJ=
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || die "--root needs a REGEX"; ROOT_RES+=("$2"); shift 2 ;;
	--rev) [ $# -ge 2 ] || die "--rev needs a revision"; REV=$2; shift 2 ;;
	--obj) [ $# -ge 2 ] || die "--obj needs a FILE"; OBJ=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ ${#ROOT_RES[@]} -gt 0 ] || ROOT_RES=("$DEFAULT_ROOT")
[ -z "$REV" ] || [ -z "$OBJ" ] || die "--rev and --obj exclude each other"
ARCH=$(kernel_arch "${ARCH:-$(host_arch)}")
VARIANT=${VARIANT:-}
KDIR=${KDIR:-$(kernel_build_dir "$ARCH" "$VARIANT")}
LLVM=${LLVM:--$LLVM_VERSION}

OBJDUMP=llvm-objdump$LLVM
READOBJ=llvm-readobj$LLVM
for t in "$OBJDUMP" "$READOBJ"; do
	command -v "$t" >/dev/null || die "$t not found: install Debian's llvm$LLVM (apt-get install llvm$LLVM)"
done
if command -v "llvm-cxxfilt$LLVM" >/dev/null; then
	DEMANGLE=llvm-cxxfilt$LLVM
elif command -v rustfilt >/dev/null; then
	DEMANGLE=rustfilt
else
	warn "neither llvm-cxxfilt$LLVM nor rustfilt found: names are printed mangled"
	DEMANGLE='cat'
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stack-usage.XXXXXX")
if [ -n "$KEEP" ]; then
	msg "keeping $TMP"
else
	trap 'rm -rf "$TMP"' EXIT
fi

# The crate root, its module files, every top-level folder that holds module files (`ffi/`, or
# a folder of core-only files the root includes with `#[path]`), and Kbuild.
copy_sources() { # copy_sources FROM TO
	local from=$1 to=$2 d
	if [ ! -f "$from/Kbuild" ] || [ ! -f "$from/oom_guard_main.rs" ]; then
		die "no Kbuild or oom_guard_main.rs in $from"
	fi
	cp "$from"/*.rs "$from/Kbuild" "$to/"
	for d in "$from"/*/; do
		d=${d%/}
		if compgen -G "$d/*.rs" >/dev/null; then cp -r "$d" "$to/"; fi
	done
}

build_obj() { # build_obj DIR: prints the path of the object built in DIR
	local dir=$1
	[ -f "$KDIR/Module.symvers" ] ||
		die "the $ARCH${VARIANT:+-$VARIANT} kernel in $KDIR is not built (no Module.symvers): run 'make kernel ARCH=$ARCH${VARIANT:+ VARIANT=$VARIANT}'"
	mkdir -p "$dir"
	if [ -n "$REV" ]; then
		git -C "$ROOT" rev-parse -q --verify "$REV^{commit}" >/dev/null || die "no such revision: $REV"
		mkdir "$TMP/tree"
		git -C "$ROOT" archive "$REV" | tar -x -C "$TMP/tree"
		copy_sources "$TMP/tree" "$dir"
	else
		copy_sources "$ROOT" "$dir"
	fi
	printf '\n# Added by scripts/stack-usage.sh.\nrustflags-y += -Zemit-stack-sizes\n' >>"$dir/Kbuild"
	msg "building rust_oom_guard${REV:+ at $REV} for $ARCH with -Zemit-stack-sizes against $KDIR"
	if ! make -C "$KDIR" M="$dir" ARCH="$ARCH" LLVM="$LLVM" modules >"$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		die "the module did not build (the end of its log is above)"
	fi
	echo "$dir/oom_guard_main.o"
}

if [ -n "$OBJ" ]; then
	[ -f "$OBJ" ] || die "no such object: $OBJ"
else
	OBJ=$(build_obj "$TMP/module")
fi

"$READOBJ" --stack-sizes "$OBJ" >"$TMP/stack-sizes" 2>"$TMP/readobj.err" ||
	die "$READOBJ --stack-sizes failed: $(cat "$TMP/readobj.err")"
grep -q 'Functions: \[' "$TMP/stack-sizes" ||
	die "$OBJ has no .stack_sizes section: was it built with -Zemit-stack-sizes?"
"$OBJDUMP" -t "$OBJ" >"$TMP/symbols"
"$OBJDUMP" -dr --no-show-raw-insn "$OBJ" >"$TMP/disassembly"
awk -F'\t' 'NF >= 2 { n = split($2, a, " "); print a[n] }' "$TMP/symbols" | sort -u >"$TMP/names"
"$DEMANGLE" <"$TMP/names" >"$TMP/names.demangled"
paste "$TMP/names" "$TMP/names.demangled" >"$TMP/demangled"

# Inputs, in order: demangled names (mangled TAB demangled), the symbol table, the
# .stack_sizes dump and the disassembly with relocations. A function is a node named by its
# section and address, so that aliases (several symbols on one address) are one node. Edges are
# `call` (the caller's frame stays: its frame, plus the return address on x86_64, lies under
# the callee's) or `tail` (a jump to another function: the caller's frame is gone). A callee
# that is not defined in the object is the kernel's, kept as "!name".
# shellcheck disable=SC2016 # awk's own $ fields, not shell expansions
PROG='
function hex(s,   i, v) {
	s = tolower(s)
	sub(/^0x/, "", s)
	v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function dm(name) { return (name in demangled) ? demangled[name] : name }
function add_edge(from, kind, to) {
	if (from == "" || (from SUBSEP kind SUBSEP to) in seen) return
	seen[from, kind, to] = 1
	ne[from]++
	ek[from, ne[from]] = kind
	et[from, ne[from]] = to
}
# A call or jump to a named symbol or to section+offset.
function edge_to_symbol(kind, sym,   add, node) {
	add = 0
	if (match(sym, /[-+]0x[0-9a-f]+$/)) {
		add = hex(substr(sym, RSTART + 1))
		if (substr(sym, RSTART, 1) == "-") add = -add
		sym = substr(sym, 1, RSTART - 1)
	}
	if (sym ~ /^__x86_return_thunk$/) return
	if (sym ~ /^__x86_indirect_(call_|jump_)?thunk/) { indirect[cur]++; return }
	if (substr(sym, 1, 1) == ".") {
		# Section-relative: the addend is the target, less the 4 bytes of a PC-relative
		# x86 displacement.
		node = sym "@" (add + (x86 ? 4 : 0))
		if (node in label) add_edge(cur, kind, node)
		else add_edge(cur, kind, "!" sym "+" (add + (x86 ? 4 : 0)))
		return
	}
	if (sym in node_of) {
		if (!(kind == "tail" && node_of[sym] == cur)) add_edge(cur, kind, node_of[sym])
	} else add_edge(cur, kind, "!" sym)
}
# The branch pending from the line before, if no relocation named its target: the target the
# disassembler printed, when that is the start of another function.
function flush(   t) {
	if (pkind == "") return
	if (match(pops, /<[^<>]*>$/)) {
		t = substr(pops, RSTART + 1, RLENGTH - 2)
		if (t !~ /\+0x[0-9a-f]+$/ && (t in node_of)) {
			if (pkind == "call" || node_of[t] != cur) add_edge(cur, pkind, node_of[t])
		}
	}
	pkind = ""
}

phase == "dem" { demangled[$1] = $2; next }

phase == "sym" {
	if (NF < 2) next
	nl = split($1, l, " ")
	nr = split($2, r, " ")
	if (l[nl] == "*UND*" || $1 !~ / F /) next
	node = l[nl] "@" hex(l[1])
	node_of[r[nr]] = node
	names[node] = names[node] " " r[nr]
	if (!(node in label)) label[node] = r[nr]
	next
}

phase == "ss" && /Functions: \[/ {
	s = $0
	sub(/.*Functions: \[/, "", s)
	sub(/\].*/, "", s)
	nfn = split(s, fns, ", ")
	next
}
phase == "ss" && /^ *Size: 0x/ {
	split($0, f, ": ")
	for (i = 1; i <= nfn; i++) if (fns[i] in node_of) frame[node_of[fns[i]]] = hex(f[2])
	nfn = 0
	next
}
phase == "ss" { next }

/file format/ { x86 = ($0 ~ /x86-64/); arch = x86 ? "x86_64" : ($0 ~ /aarch64/ ? "arm64" : "?"); next }
/^Disassembly of section / {
	flush()
	sec = $0
	sub(/^Disassembly of section /, "", sec)
	sub(/:$/, "", sec)
	cur = ""
	next
}
/^[0-9a-f]+ <.*>:$/ {
	flush()
	split($0, h, " ")
	cur = sec "@" hex(h[1])
	name = substr($0, index($0, "<") + 1)
	sub(/>:$/, "", name)
	if (!(cur in label)) { label[cur] = name; names[cur] = " " name }
	if (!(name in node_of)) node_of[name] = cur
	text[cur] = 1
	next
}
/^\t\t[0-9a-f]+: +R_/ {
	# A relocation of the branch just read names its target.
	if (pkind != "") {
		split($0, rl, "\t")
		if (rl[3] ~ /R_X86_64_(PLT32|PC32)$|R_AARCH64_(CALL26|JUMP26)$/) edge_to_symbol(pkind, rl[4])
		pkind = ""
	}
	next
}
/^ +[0-9a-f]+: *\t/ {
	flush()
	mn = $2
	ops = $3
	if (x86) {
		if (mn ~ /^call/) {
			if (ops ~ /^\*/) indirect[cur]++
			else pkind = "call"
		} else if (mn ~ /^j/ && ops !~ /^\*/) pkind = "tail"
		# A jump through a pointer in memory is a tail call; one through a register or an
		# indexed table is a jump table (as is arm64 `br`), so not counted.
		else if (mn ~ /^jmp/ && ops ~ /^\*.*\(%rip\)/) indirect[cur]++
	} else {
		if (mn == "bl") pkind = "call"
		else if (mn ~ /^blr/) indirect[cur]++
		else if (mn == "b" || mn ~ /^b\./ || mn ~ /^(cbz|cbnz|tbz|tbnz)$/) pkind = "tail"
	}
	pops = ops
	next
}
{ flush() }

# Worst stack below node n, entered at depth d of the walk; memoised. A callee already on the
# walk is recursion: recorded, and not followed again.
function worst(n, d,   i, j, k, t, v, best, via, vkind, cyc) {
	if (n in memo) return memo[n]
	if (n in onpath) {
		cyc = ""
		for (j = onpath[n]; j < d; j++) cyc = cyc dm(label[stk[j]]) " -> "
		recursion[cyc dm(label[n])] = 1
		return 0
	}
	onpath[n] = d
	stk[d] = n
	reached[n] = 1
	best = frame[n] + 0
	via = ""
	for (i = 1; i <= ne[n]; i++) {
		k = ek[n, i]
		t = et[n, i]
		if (substr(t, 1, 1) == "!") {
			kernel[substr(t, 2)] = 1
			kcalls[n] = kcalls[n] SUBSEP substr(t, 2)
			v = (k == "call") ? frame[n] + ra : 0
			if (v > best) { best = v; via = "" }
			continue
		}
		v = (k == "call") ? frame[n] + ra + worst(t, d + 1) : worst(t, d + 1)
		if (v > best) { best = v; via = t; vkind = k }
	}
	delete onpath[n]
	memo[n] = best
	nxt[n] = via
	nxtk[n] = (via == "") ? "" : vkind
	return best
}
# Prints NONE if the set is empty, else TITLE and its members sorted, one a line.
function section(set, none, title,   keys, m, i) {
	m = sort_keys(set, keys)
	if (m == 0) { print none; return }
	print title
	for (i = 1; i <= m; i++) print "  " keys[i]
}
function sort_keys(src, dst,   k, n, i, j, x) {
	n = 0
	for (k in src) dst[++n] = k
	for (i = 2; i <= n; i++) {
		x = dst[i]
		for (j = i - 1; j >= 1 && dst[j] > x; j--) dst[j + 1] = dst[j]
		dst[j + 1] = x
	}
	return n
}
function report(root,   n, k, total, frames, last, i, cnt, keys, list, m, kk) {
	split("", memo); split("", nxt); split("", nxtk); split("", kernel); split("", kcalls)
	split("", recursion); split("", reached); split("", onpath)
	total = worst(root, 1)
	frames = 0
	for (n = root; n != ""; n = nxt[n]) if (nxtk[n] != "tail") frames += frame[n]
	printf "%s: %s\n", arch, dm(label[root])
	printf "worst case: %d bytes", total
	if (ra) printf " (frames %d + return addresses %d)", frames, total - frames
	printf ", not counting the kernel functions called\n"
	print "deepest chain (function : frame bytes):"
	for (n = root; n != ""; n = nxt[n]) {
		printf "  %s : %d%s%s\n", dm(label[n]), frame[n], (n in frame) ? "" : " (no .stack_sizes entry)",
			nxtk[n] == "tail" ? " (not counted: its tail call to the next replaces this frame)" : ""
		last = n
	}
	if (kcalls[last] != "") {
		split("", list)
		cnt = split(substr(kcalls[last], 2), kk, SUBSEP)
		for (i = 1; i <= cnt; i++) list[dm(kk[i])] = 1
		m = sort_keys(list, keys)
		printf "  then into the kernel:"
		for (i = 1; i <= m; i++) printf " %s%s", keys[i], i < m ? "," : "\n"
	}
	split("", list)
	for (k in kernel) list[dm(k)] = 1
	m = sort_keys(list, keys)
	printf "kernel functions called below the root (stack not known, not counted): %d\n", m
	for (i = 1; i <= m; i++) print "  " keys[i]
	section(recursion, "recursion: none", "RECURSION (the figure above is no bound):")
	split("", list)
	for (n in reached) if (indirect[n]) list[dm(label[n]) " : " indirect[n]] = 1
	section(list, "indirect calls: none", "INDIRECT CALLS (targets not known, not counted; function : calls):")
	split("", list)
	for (n in reached) if (!(n in frame)) list[dm(label[n])] = 1
	m = sort_keys(list, keys)
	if (m) {
		print "NO .stack_sizes ENTRY (counted as 0):"
		for (i = 1; i <= m; i++) print "  " keys[i]
	}
}

END {
	flush()
	ra = x86 ? 8 : 0
	for (n in text) if (!(n in frame)) unsized++
	if (unsized) printf "note: %d of the object'"'"'s functions have no .stack_sizes entry\n", unsized > "/dev/stderr"
	nroots = split(ENVIRON["STACK_ROOT_RES"], rx, "\n")
	status = 0
	for (ri = 1; ri <= nroots; ri++) {
		split("", found)
		for (n in text) {
			cnt = split(names[n], nm, " ")
			for (i = 1; i <= cnt; i++)
				if (nm[i] ~ rx[ri] || dm(nm[i]) ~ rx[ri]) found[dm(label[n]) SUBSEP n] = 1
		}
		m = sort_keys(found, roots)
		if (m == 0) {
			printf "error: no function of the module matches %s\n", rx[ri] > "/dev/stderr"
			status = 1
		}
		for (i = 1; i <= m; i++) {
			split(roots[i], rn, SUBSEP)
			if (shown++) print ""
			report(rn[2])
		}
	}
	exit status
}
'
STACK_ROOT_RES=$(printf '%s\n' "${ROOT_RES[@]}") awk -F'\t' "$PROG" \
	phase=dem "$TMP/demangled" phase=sym "$TMP/symbols" phase=ss "$TMP/stack-sizes" \
	phase=dis "$TMP/disassembly"

# SPDX-License-Identifier: GPL-2.0
#
# rust_oom_guard: the user-facing make targets. Kbuild (the file `Kbuild`)
# is what the kernel's build reads; this Makefile only drives it, the guest
# kernels, the userspace crate and the QEMU suites.
#
#   make run            set up, build, boot an x86_64 demo guest (ARCH=arm64 for arm64)
#   make test           set up, build, run host tests and the QEMU suites (CI's tier)
#   make test-full      the same, plus the arm64 debug kernel, every test on both debug
#                       kernels, and the soaks (TIER=full)
#   make bench          set up, build, run the benchmarks on x86_64 and arm64 guests and
#                       write docs/BENCHMARKS.md and docs/benchmarks.json
#   make disk           build the board-profile guests' data disk (scripts/mkdisk.sh)
#   make modules        build rust_oom_guard.ko against KDIR
#   make intree-check   the in-tree drop-in (scripts/intree.sh KSRC) in a copy of our kernel source
#   make KDIR=/path/to/linux/build modules    ... against your own kernel tree
#
# Variables (defaults in brackets):
#   ARCH     x86_64 or arm64 [the host's]
#   VARIANT  '' or debug: which of our kernels to use [test kernel]
#   SERIES   kernel series: one of KERNEL_SERIES_ALL in scripts/versions.env [KERNEL_SERIES]
#   PROFILE  '' or board: 'make run' in the board-shaped guest of qemu/board-<arch>.conf ['']
#   KDIR     kernel build tree [our kernel for ARCH/VARIANT/SERIES, built on demand]
#   LLVM     LLVM suffix passed to kbuild [-$(LLVM_VERSION) from scripts/versions.env]

include scripts/versions.env
comma := ,

HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
override ARCH := $(patsubst aarch64,arm64,$(patsubst amd64,x86_64,$(ARCH)))
VARIANT ?=
# The default series is no suffix: build/x86_64, not build/x86_64-7.3.
SERIES ?=
override SERIES := $(filter-out $(KERNEL_SERIES),$(SERIES))
ifneq ($(SERIES),)
ifeq ($(filter $(SERIES),$(subst $(comma), ,$(KERNEL_SERIES_ALL))),)
$(error unknown SERIES=$(SERIES): scripts/versions.env has $(KERNEL_SERIES_ALL))
endif
endif
export SERIES
CACHE ?= $(or $(OOM_GUARD_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rust-oom-guard)
KVARIANT := $(ARCH)$(if $(VARIANT),-$(VARIANT))$(if $(SERIES),-$(SERIES))
OUR_KDIR := $(CACHE)/build/$(KVARIANT)
KDIR ?= $(OUR_KDIR)
LLVM ?= -$(LLVM_VERSION)
OUT := $(CURDIR)/build/$(KVARIANT)
MODULE_OUT := $(OUT)/module

RUST_TARGET_x86_64 := x86_64-unknown-linux-musl
RUST_TARGET_arm64 := aarch64-unknown-linux-musl
RUST_TARGET := $(RUST_TARGET_$(ARCH))

export PATH := $(CACHE)/tools/bin:$(HOME)/.cargo/bin:$(PATH)
export OOM_GUARD_CACHE := $(CACHE)

# The module's sources (Kbuild, the crate's .rs files, the C shim) are mirrored into each of its
# build directories (scripts/common.sh's mirror_module_sources) and built there (M=): out of the
# source tree on every series, also where Kbuild has no MO= (6.12), and with the variants (no
# probe) side by side. Compiler messages name the mirrored paths (build/<arch>/module/monitor.rs):
# edit the file of the same name at the top.
# module_build DIR, KBUILD-ARGS: builds the module in DIR.
define module_build
	@$(KDIR_CHECK) $(KDIR)
	$(call fresh_mo,$(1))
	@bash -c '. scripts/common.sh && mirror_module_sources "$$1"' mirror $(1)
	+$(MAKE) -C $(KDIR) M=$(1) ARCH=$(ARCH) LLVM=$(LLVM) $(2) modules
endef
# cargo runs inside userspace/ so that userspace/.cargo/config.toml applies.
CARGO = cd userspace && cargo
# The kernel's rustfmt settings (its .rustfmt.toml), run on the crate root: rustfmt follows the
# `mod` declarations, so every file of the module, in ffi/ and any other folder, is formatted.
KRUSTFMT = rustfmt --edition 2021 --config newline_style=Unix
KCRATE = oom_guard_main.rs

# Our own kernel is set up and built on demand; a KDIR given by the user is
# used as it is.
ifeq ($(KDIR),$(OUR_KDIR))
KERNEL_DEP := kernel
KDIR_CHECK := scripts/check-kdir.sh --quiet
export RUSTUP_TOOLCHAIN := $(RUST_VERSION)
else
KERNEL_DEP :=
KDIR_CHECK := scripts/check-kdir.sh
# Your kernel's compiler: RUSTUP_TOOLCHAIN from the environment if you set it, else ours.
export RUSTUP_TOOLCHAIN ?= $(RUST_VERSION)
endif

# Kbuild does not see a rebuilt kernel: rustc's dependency files name sources, not the kernel
# crate's metadata, so a module built before the kernel was rebuilt would stay as it was and
# fail to load ("invalid module format"). Each module directory remembers the kernel build it
# was made against (release and the mtimes of rust/libkernel.rmeta and Module.symvers), and is
# emptied when that changes.
define fresh_mo
	@stamp="$$(cat $(KDIR)/include/config/kernel.release 2>/dev/null) $$(stat -c %Y $(KDIR)/rust/libkernel.rmeta $(KDIR)/Module.symvers 2>/dev/null | tr '\n' ' ')"; \
	if [ "$$(cat $(1)/.kernel-build 2>/dev/null)" != "$$stamp" ]; then \
		rm -rf $(1); mkdir -p $(1); echo "$$stamp" >$(1)/.kernel-build; \
	fi
endef

.PHONY: all setup disk kernel kernels modules modules-noprobe intree-check userspace initramfs clean distclean \
	check check-module check-module-noprobe check-userspace fmt fmtcheck run test test-full bench help

all: modules userspace

help:
	@sed -n '3,24p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@scripts/setup.sh

disk: setup
	@scripts/mkdisk.sh >/dev/null

kernel: setup
	@scripts/build-kernel.sh $(ARCH) "$(VARIANT)" "$(SERIES)"

kernels: setup
	@scripts/build-kernel.sh x86_64
	@scripts/build-kernel.sh arm64
	@scripts/build-kernel.sh x86_64 debug

modules: $(KERNEL_DEP)
	$(call module_build,$(MODULE_OUT),)

# `+`: cargo joins the jobserver of `make -jN initramfs`, beside the two module builds.
userspace: setup
	+$(CARGO) build --release --locked --target $(RUST_TARGET)

# The module as for a kernel without CONFIG_TRACEPOINTS (no victim probe: KILL events count
# kills), which the guests load too (37-victims-noprobe).
modules-noprobe: $(KERNEL_DEP)
	$(call module_build,$(MODULE_OUT)-noprobe,OOM_GUARD_NO_PROBE=y)

# The in-tree drop-in (scripts/intree.sh) in a hard-linked copy of our kernel's source: its
# Kconfig entry and its Makefile, built as =m against our kernel.
intree-check: $(KERNEL_DEP)
	@scripts/intree-check.sh $(ARCH) "$(SERIES)"

initramfs: modules modules-noprobe userspace
	@scripts/mkinitramfs.sh $(ARCH) $(OUT)

# Also builds the module as for a kernel without CONFIG_TRACEPOINTS (no victim probe: KILL
# events count kills), in a directory of its own. The three parts run side by side with -j.
check: check-module check-module-noprobe check-userspace

check-module: $(KERNEL_DEP)
	$(call module_build,$(MODULE_OUT),CLIPPY=1 OOM_GUARD_WERROR=y)

check-module-noprobe: $(KERNEL_DEP)
	$(call module_build,$(MODULE_OUT)-noprobe,CLIPPY=1 OOM_GUARD_WERROR=y OOM_GUARD_NO_PROBE=y)

check-userspace:
	+$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(KRUSTFMT) $(KCRATE)
	$(CARGO) fmt --all

fmtcheck:
	$(KRUSTFMT) --check $(KCRATE)
	$(CARGO) fmt --all -- --check

run: initramfs
	@scripts/qemu-run.sh --mode demo --profile "$(PROFILE)" $(ARCH) $(VARIANT)

test:
	@scripts/test.sh

test-full:
	@TIER=full scripts/test.sh

bench:
	@scripts/bench.sh

clean:
	rm -rf build
	$(CARGO) clean

# Also drops the kernels and tools in the cache (set-up starts over).
distclean: clean
	rm -rf $(CACHE)

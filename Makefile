# zone: top-level build.  `make` builds everything into build/;
# `make test` sets up, builds and runs the tests; `make demo` boots a zone.
CC       ?= gcc
BUILD    := build
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Wno-missing-field-initializers -D_GNU_SOURCE -I. -g
CFLAGS   := $(BASE_CFLAGS) -O2
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HOST_LIBS := -larchive -ljansson -lseccomp -lcap -lpthread -lcrypto
# Only what pulls from registries links libcurl (and its many libraries):
# zone-vmm starts faster without them.
CURL_LIBS := -lcurl

# One folder per part of the architecture.  Files named main.c hold a
# program's entry point; everything else goes into libzone.a.
COMMON_SRCS  := $(wildcard common/*.c)
# base/: guest memory and the event loop, below devices/ and vmm/.
BASE_SRCS    := $(wildcard base/*.c)
IDM_SRCS     := $(wildcard idm/*.c)
VMM_SRCS     := $(BASE_SRCS) $(filter-out vmm/main.c,$(wildcard vmm/*.c)) $(wildcard devices/*.c) $(wildcard jail/*.c)
OCI_SRCS     := $(wildcard oci/*.c)
RUNTIME_SRCS := $(filter-out %/main.c,$(wildcard runtime/*.c))
CLI_SRCS     := $(filter-out cli/main.c,$(wildcard cli/*.c))
INIT_SRCS    := $(wildcard init/*.c)
LIB_SRCS     := $(COMMON_SRCS) $(IDM_SRCS) $(VMM_SRCS) $(OCI_SRCS) $(RUNTIME_SRCS) $(CLI_SRCS)

obj      = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
asanobj  = $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(1))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

PROGRAMS := $(BUILD)/zone-vmm $(BUILD)/zone-init $(BUILD)/zone-initrd.img $(BUILD)/mkinitrd \
	$(if $(wildcard cli/main.c),$(BUILD)/zone) \
	$(if $(wildcard runtime/main.c),$(BUILD)/zone-runc)

# Guest torture programs (tests/guest/torture/): static binaries that
# tests/integration/torture.sh runs inside zones.
TORTURE := $(patsubst tests/guest/torture/%.c,$(BUILD)/torture/%,$(wildcard tests/guest/torture/*.c))

.PHONY: all setup test check-all demo unit fuzz bench clean asan kernel torture
all: $(PROGRAMS) $(BUILD)/asan/zone-vmm $(UNIT_TESTS) $(BUILD)/demo-image $(TORTURE)

setup:
	@bash scripts/setup.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -MMD -MP -c $< -o $@

# zone-init is a static binary built from its own objects (no sanitizers:
# it is PID 1 in a minimal initramfs).
$(BUILD)/init-obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Os -MMD -MP -c $< -o $@

$(BUILD)/libzone.a: $(call obj,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/libzone.a: $(call asanobj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/zone-vmm: $(call obj,vmm/main.c) $(BUILD)/libzone.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/asan/zone-vmm: $(call asanobj,vmm/main.c) $(BUILD)/asan/libzone.a
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/zone: $(call obj,cli/main.c) $(BUILD)/libzone.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS) $(CURL_LIBS)

$(BUILD)/zone-runc: $(call obj,runtime/main.c) $(BUILD)/libzone.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

$(BUILD)/mkinitrd: $(call obj,tools/mkinitrd.c) $(BUILD)/libzone.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

INIT_OBJS := $(patsubst %.c,$(BUILD)/init-obj/%.o,$(INIT_SRCS) $(COMMON_SRCS) $(IDM_SRCS))
# libseccomp: the container's seccomp filter (Debian's libseccomp-dev
# ships libseccomp.a).
$(BUILD)/zone-init: $(INIT_OBJS)
	$(CC) -static -o $@ $^ -lseccomp

BUSYBOX := /bin/busybox
$(BUILD)/zone-initrd.img: $(BUILD)/mkinitrd $(BUILD)/zone-init
	$(BUILD)/mkinitrd -o $@ --init $(BUILD)/zone-init --busybox $(BUSYBOX)

# The demo image (OCI layout): static busybox + a few /etc files.
$(BUILD)/demo-image: scripts/mk-demo-image.sh $(BUSYBOX)
	@bash scripts/mk-demo-image.sh $@ $(BUSYBOX) >/dev/null

torture: $(TORTURE)

# sig.c checks registers that regs.S loads and compares.
$(BUILD)/torture/sig: tests/guest/torture/regs.S
$(BUILD)/torture/%: tests/guest/torture/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $< $(filter %.S,$^) -lpthread

$(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS) $(CURL_LIBS)

# The IDM server lives in init/ (zone-init only, not libzone.a); its host
# test links the server files it runs.
IDM_SERVER_SRCS := $(filter-out init/main.c,$(wildcard init/*.c))
$(BUILD)/asan/tests/test_idm_server: tests/unit/test_idm_server.c $(IDM_SERVER_SRCS) $(BUILD)/asan/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

# zone-init's mounts, tested on the host in a private mount namespace.
$(BUILD)/asan/tests/test_init_mounts: tests/unit/test_init_mounts.c $(IDM_SERVER_SRCS) $(BUILD)/asan/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

# zone-init's masked paths, tested on the host in a private mount namespace.
$(BUILD)/asan/tests/test_confine: tests/unit/test_confine.c init/masks.c $(BUILD)/asan/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

# zone-init's network setup, tested on the host in a namespace of its own.
$(BUILD)/asan/tests/test_init_net: tests/unit/test_init_net.c init/net.c $(BUILD)/asan/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(HOST_LIBS)

# Fuzzers share one instrumented library (coverage + ASan/UBSan) instead of
# each compiling every source again.
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -fsanitize=fuzzer-no-link,address,undefined
$(BUILD)/fuzz-obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz-obj/libzone.a: $(patsubst %.c,$(BUILD)/fuzz-obj/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzz-obj/libzone.a
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS) $(CURL_LIBS)

fuzzers: $(FUZZERS)

# The guest kernel (kernel/): built once per recipe into the cache
# (/var/cache/zone/kernel/<hash>/), then only linked as build/vmlinux.
kernel:
	@bash kernel/build.sh

test: setup
	@bash kernel/build.sh
	@$(MAKE) --no-print-directory -j$(shell nproc) all fuzzers
	@bash tests/run.sh

# Everything make test runs, plus what it leaves out where zones run in the
# KVM box (tests/run.sh: BOX_LONG), and 5 minutes per fuzzer.
check-all: setup
	@bash kernel/build.sh
	@$(MAKE) --no-print-directory -j$(shell nproc) all fuzzers
	@ZONE_TEST_ALL=1 FUZZ_SECONDS=300 bash tests/run.sh

unit: $(UNIT_TESTS)
	@bash tests/run.sh --unit-only

fuzz: fuzzers
	@bash tests/fuzz/run.sh 600

demo: setup
	@bash kernel/build.sh
	@$(MAKE) --no-print-directory -j$(shell nproc) $(PROGRAMS) $(BUILD)/demo-image
	@bash scripts/demo.sh

# Benchmark helpers (bench/*.c) link the host library.
$(BUILD)/bench/%: bench/%.c $(BUILD)/libzone.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_LIBS)

bench: all $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
	@for b in bench/*; do [ -x "$$b" ] && "$$b"; done

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

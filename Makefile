# stream-config: build, install and uninstall.
#   make                      release build
#   make deb                  the Debian package, dist/stream-config_VERSION_ARCH.deb
#   sudo make install         into /usr/local (PREFIX=...; DESTDIR=... for packagers)
#   sudo make uninstall
# `make install STREAM_CONFIG_BIN=path/to/stream-config` installs an existing binary without
# building (the install test uses it).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR ?= $(PREFIX)/share/zsh/site-functions
FISHDIR ?= $(PREFIX)/share/fish/vendor_completions.d
UNITDIR ?= $(PREFIX)/lib/systemd/system
SHAREDIR ?= $(PREFIX)/share/stream-config

STREAM_CONFIG_BIN ?=
BUILT = $(shell scripts/release-build.sh --show-bin-path 2>/dev/null)/stream-config
BIN = $(if $(STREAM_CONFIG_BIN),$(STREAM_CONFIG_BIN),$(BUILT))

.PHONY: all build deb install uninstall test

all: build

build:
	./scripts/deps.sh uuid-dev liblz4-dev pkg-config
	scripts/release-build.sh

deb:
	scripts/package.sh dist

install: $(if $(STREAM_CONFIG_BIN),,build)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SHAREDIR)
	install -m 0755 -s $(BIN) $(DESTDIR)$(BINDIR)/stream-config
	# edit-config wrapper: copy it over /etc/netdata/edit-config to keep `sudo ./edit-config` habits
	install -m 0755 scripts/edit-config $(DESTDIR)$(SHAREDIR)/edit-config
	install -m 0644 man/stream-config.1 $(DESTDIR)$(MANDIR)/man1/stream-config.1
	install -m 0644 man/stream.conf.5 $(DESTDIR)$(MANDIR)/man5/stream.conf.5
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(BASHDIR)/stream-config
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(ZSHDIR)/_stream-config
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(FISHDIR)/stream-config.fish
	chmod 0644 $(DESTDIR)$(BASHDIR)/stream-config $(DESTDIR)$(ZSHDIR)/_stream-config $(DESTDIR)$(FISHDIR)/stream-config.fish
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/stream-config-relay.service > $(DESTDIR)$(UNITDIR)/stream-config-relay.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/stream-config-relay.service
	@echo "installed stream-config into $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stream-config \
		$(DESTDIR)$(MANDIR)/man1/stream-config.1 $(DESTDIR)$(MANDIR)/man5/stream.conf.5 \
		$(DESTDIR)$(BASHDIR)/stream-config $(DESTDIR)$(ZSHDIR)/_stream-config \
		$(DESTDIR)$(FISHDIR)/stream-config.fish $(DESTDIR)$(UNITDIR)/stream-config-relay.service \
		$(DESTDIR)$(SHAREDIR)/edit-config
	-rmdir $(DESTDIR)$(SHAREDIR)

test:
	./scripts/test.sh

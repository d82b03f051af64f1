/// A lint rule's identity: a stable code, its severity and what it means.
public struct Rule: Sendable {
    public let code: String
    public let severity: Severity
    public let title: String
    public let explanation: String
}

/// Every rule, by code. Codes never change meaning; new rules get new codes.
public enum Rules {
    /// The rules of one file (`lint`).
    public static let single: [Rule] = [
        // 1xx: how Netdata splits the file into sections and options.
        Rule(code: "SC101", severity: .error, title: "not a section header",
             explanation: "A line that starts with `[` is a header only if it also ends with `]`. `[KEY] # comment` or `[stream` is not a header: Netdata logs \"there is no = in it\", ignores the line, and every following option lands in the previous section. Put comments on their own line."),
        Rule(code: "SC102", severity: .error, title: "byte order mark",
             explanation: "Netdata does not strip a UTF-8 byte order mark. The first line is then not a header, and every option until the next header is outside all sections and ignored. Save the file without a BOM."),
        Rule(code: "SC103", severity: .error, title: "spaces inside a section name",
             explanation: "Section names are not trimmed: `[ stream ]` is the section \" stream \", which Netdata never reads. Remove the spaces inside the brackets."),
        Rule(code: "SC104", severity: .error, title: "line without `=`",
             explanation: "Netdata ignores a line inside a section that is neither a comment nor a `key = value` line, and logs \"there is no = in it\"."),
        Rule(code: "SC105", severity: .error, title: "empty option name",
             explanation: "A line like `= value` has no name; Netdata ignores it (\"name is empty\")."),
        Rule(code: "SC106", severity: .error, title: "option outside all sections",
             explanation: "Options before the first section header are ignored (\"it is outside all sections\")."),
        Rule(code: "SC107", severity: .warning, title: "line longer than Netdata reads",
             explanation: "Netdata reads lines in pieces of at most 8191 bytes; a longer line is cut and the rest is read as a new line. Keep lines within 8190 characters."),
        Rule(code: "SC108", severity: .error, title: "inline comment",
             explanation: "Netdata has no inline comments: in `enabled = yes # note` the value is `yes # note`, which a boolean reads as `no`, a pattern as extra words, a destination as extra parents. Move the comment to its own line."),
        Rule(code: "SC109", severity: .warning, title: "unusual whitespace in an option name",
             explanation: "Names are matched byte for byte: `api  key` (two spaces) or a tab inside a name never matches the real option."),
        Rule(code: "SC110", severity: .warning, title: "option set twice",
             explanation: "When an option appears twice in a section (sections with the same name merge), Netdata uses the last value and ignores the earlier one."),
        Rule(code: "SC111", severity: .warning, title: "quoted value",
             explanation: "Netdata does not remove quotes: `destination = \"10.0.0.1\"` tries to resolve the host `\"10.0.0.1\"`. Write values without quotes."),
        Rule(code: "SC112", severity: .warning, title: "empty section name",
             explanation: "`[]` opens a section with an empty name, which Netdata never reads."),

        // 2xx: option names.
        Rule(code: "SC201", severity: .warning, title: "unknown option",
             explanation: "Netdata silently ignores option names it does not know, so a typo leaves the setting at its default. The message suggests the closest real name."),
        Rule(code: "SC202", severity: .warning, title: "option in the wrong kind of section",
             explanation: "Each option is read only in some sections: sender options in `[stream]`, receiver options in API key and machine GUID sections (on 1.37.1 the two use different names for half the options). Elsewhere Netdata ignores it. The message says where it belongs."),
        Rule(code: "SC203", severity: .warning, title: "dead option",
             explanation: "Netdata never reads this option (for example `replication_step` from the 1.37 stock file, `multiple connections`, `is ephemeral node`)."),
        Rule(code: "SC204", severity: .warning, title: "old and new name both set",
             explanation: "Netdata 2.x renames old option names when the new name is absent. When both are set, the new one wins and the old line is ignored (for `buffer size bytes` the old one overrides)."),
        Rule(code: "SC205", severity: .warning, title: "option of another Netdata version",
             explanation: "This option exists only in the other Netdata line than the one checked; this version ignores it. Use --target to pick the version your agents run."),
        Rule(code: "SC206", severity: .note, title: "renamed option",
             explanation: "Netdata 2.x still reads this old name by renaming it in memory; the new name is clearer and survives future releases."),

        // 3xx: API keys, machine GUIDs and section roles.
        Rule(code: "SC301", severity: .error, title: "API key is not a UUID",
             explanation: "Netdata 1.37.1 refuses a key that is not a hyphenated UUID (\"is not valid GUID\"; any letter case passes). Netdata 2.11 accepts any non-empty key that names an enabled API key section (checked on real agents: `api-key-79a5f` and 32 hex digits without hyphens both stream), so a key named `stream` even matches the `[stream]` section. Use a lowercase UUID from `stream-config keygen` or `uuidgen`."),
        Rule(code: "SC302", severity: .error, title: "section name is not a UUID",
             explanation: "Sections other than `[stream]` are API keys or machine GUIDs, looked up by the exact string a child sends. A name that is not a UUID is refused by 1.37.1 (\"is not valid GUID\"). Netdata 2.11 accepts it as a key when the section is enabled (checked: children with `api-key-79a5f` or 32 hex digits stream), but going by its code only UUID-named key sections make it pick the parent profile. A name that is `stream` misspelt (`[steam]`, `[Stream]`: names are case-sensitive) is no key: the message asks \"did you mean [stream]?\", and the options there are not the sender's settings."),
        Rule(code: "SC303", severity: .error, title: "UUID not in lowercase",
             explanation: "Keys are compared byte for byte: `ABCD...` on the parent and `abcd...` on the child do not match. Write UUIDs in lowercase, as uuidgen does."),
        Rule(code: "SC304", severity: .error, title: "invalid section type",
             explanation: "`type` must be exactly `api` or `machine`. Any other value (`API`, `api # x`, empty) matches neither role and every connection using the section is refused."),
        Rule(code: "SC305", severity: .error, title: "placeholder used as a real value",
             explanation: "`API_KEY`, `MACHINE_GUID` and `YOUR-API-KEY` are the stock file's placeholders, and words like them (`YOUR_API_KEY`, `PARENT_API_KEY`, `<API_KEY>`, `NEW-KEY`, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`) stand for a key in examples. As an `api key` value, or as the name of an enabled section, a child or parent would have to send that literal word. Replace them with a real UUID."),
        Rule(code: "SC306", severity: .error, title: "API key is not enabled",
             explanation: "An API key section is refused unless it says `\(StreamAdvice.enableKey)` (the default for keys is `no`), by 1.37.1 and 2.11 alike, whatever the key looks like. The parent answers \"You are not permitted to access this. Check the logs for more info.\", the same 67 bytes as for an unknown key, and the child logs \"remote server denied access\"."),
        Rule(code: "SC307", severity: .note, title: "section disabled",
             explanation: "This key or machine is disabled: children using it are refused. For machine GUID sections this is not a security mechanism, since a child can send any GUID."),
        Rule(code: "SC308", severity: .warning, title: "same UUID in two cases",
             explanation: "Two sections name the same UUID in different letter case; Netdata treats them as different keys, and only the exact spelling a child sends matches."),
        Rule(code: "SC309", severity: .note, title: "section without type",
             explanation: "Without `\(StreamAdvice.typeAPI)` or `\(StreamAdvice.typeMachine)`, the first connection that uses the section fixes its role until Netdata restarts. The stock file says to set it on every key."),
        Rule(code: "SC310", severity: .warning, title: "Netdata's documentation key",
             explanation: "`\(ExampleKeys.documentation[0])` is the key Netdata's documentation and stock stream.conf print as the example, so anyone may try it. As a child's `api key` (or a proxy's), any parent that accepts it accepts strangers too; as an enabled key section behind a narrow `allow from`, only that pattern keeps them out. Make a key of your own (`stream-config keygen`) and use it on both ends."),
        Rule(code: "SC311", severity: .error, title: "documentation key accepted from every address",
             explanation: "An enabled API key section named `\(ExampleKeys.documentation[0])` (the key of Netdata's documentation) with no `allow from` (the default is `*`), an empty one, or one with a positive `*`: anyone who read the documentation and reaches the port can stream to this parent, and its data and alerts become part of this parent's. Make a key of your own (`stream-config keygen`, or `stream-config parent add-key`), or at least restrict `allow from` to the children's addresses."),

        // 4xx: values.
        Rule(code: "SC401", severity: .error, title: "not a boolean Netdata understands",
             explanation: "Netdata 1.37.1 and 2.x read a boolean as true only for yes, true, on, auto and `on demand`, in any letter case (`YES`, `On Demand`); anything else, including 1, y, enable and `yes # note`, is silently false."),
        Rule(code: "SC402", severity: .error, title: "not yes, no or auto",
             explanation: "`health enabled` is case-sensitive and accepts yes, no or auto (2.x also true/on and false/off); any other value is ignored and the inherited default is used."),
        Rule(code: "SC403", severity: .error, title: "text after a number",
             explanation: "Integer options are read with strtoll: text after the digits is ignored without a message (`60s` is 60, `10 MB` is 10)."),
        Rule(code: "SC404", severity: .error, title: "leading zero makes the number octal",
             explanation: "strtoll with base 0 reads a leading 0 as octal: `019999` is 1 and `010` is 8."),
        Rule(code: "SC405", severity: .error, title: "not a number",
             explanation: "An integer option without digits is read as 0."),
        Rule(code: "SC406", severity: .error, title: "number out of range",
             explanation: "The value lies outside what the option can hold or what makes sense (ports are 1-65535; some fields are 16 or 32 bits and wrap)."),
        Rule(code: "SC407", severity: .error, title: "invalid duration",
             explanation: "Netdata 2.x rejects this duration, logs \"configured with an invalid duration\" and uses the default. Write numbers with units such as 30s, 5m, 1h, 1d."),
        Rule(code: "SC408", severity: .error, title: "invalid size",
             explanation: "Netdata 2.x rejects this size, logs \"configured with an invalid size\" and uses the default. Units are case-sensitive: B, KiB, MiB, GiB (base 2) or KB, MB, GB (base 10)."),
        Rule(code: "SC409", severity: .error, title: "unknown database mode",
             explanation: "Database modes are exact, case-sensitive names. An unknown one silently becomes `save` on 1.37 and `ram` (not persistent) on 2.x; 2.x no longer has `save` and `map`."),
        Rule(code: "SC410", severity: .error, title: "retention with a unit",
             explanation: "`retention`/`history` is a number of database entries, not a duration: `1h` is read as 1 and raised to 5 entries."),
        Rule(code: "SC411", severity: .error, title: "timeout of zero",
             explanation: "A zero timeout gives connects no time at all and marks every sender idle, so streaming breaks."),
        Rule(code: "SC412", severity: .warning, title: "reconnect delay below 5 seconds",
             explanation: "Netdata raises a reconnect delay below 5 seconds to 5 seconds."),
        Rule(code: "SC413", severity: .warning, title: "unusual buffer size",
             explanation: "A buffer of 0, a very small one, or 4 GiB and more (stored in 32 bits, so it wraps) leaves the sender without room for its data."),
        Rule(code: "SC414", severity: .warning, title: "unknown compression algorithm",
             explanation: "`compression algorithms order` knows zstd, lz4, brotli and gzip; other words are silently ignored."),
        Rule(code: "SC415", severity: .warning, title: "compression level has no effect",
             explanation: "On 2.x the node profile overwrites compression levels after stream.conf is read, so these options have no effect."),
        Rule(code: "SC416", severity: .warning, title: "retention below 5",
             explanation: "Netdata raises a retention below 5 entries to 5."),
        Rule(code: "SC417", severity: .warning, title: "replication step longer than the period",
             explanation: "A replication step longer than the replication period replicates the whole period in one step."),
        Rule(code: "SC418", severity: .warning, title: "empty CA path",
             explanation: "On 1.37.1 an uncommented empty CApath/CAfile is passed to OpenSSL as \"\", which fails; Netdata then falls back to the system CAs with an info message. Comment the line out or give a path."),
        Rule(code: "SC419", severity: .warning, title: "value read differently after the upgrade",
             explanation: "A 1.37 option name (so a file written for 1.37) with a yes/no/auto value the two lines read differently: 1.37 accepts only yes, no, auto and `on demand` and keeps the inherited default for anything else; 2.x also reads true/on as yes and false/off as no. `health enabled by default = true` did nothing on 1.37 and turns health on after the upgrade. Write the value you mean with yes, no or auto."),

        Rule(code: "SC420", severity: .warning, title: "CA file missing or not a certificate",
             explanation: "`CAfile` names a file that does not exist on the host lint runs on, cannot be read, or holds no PEM certificate (a DER file, a private key, an empty file); or `CApath` names no directory. OpenSSL then cannot load it: Netdata falls back to the system CAs and refuses a parent they do not vouch for, such as one with a self-signed certificate. Only absolute paths are checked. A warning, not an error: the file may live on the host Netdata runs on, when lint checks a copy elsewhere; check it there. `child set --ca-file` and `--ca-path` refuse such a file unless --force."),

        // 5xx: destinations.
        Rule(code: "SC501", severity: .error, title: "URL in a destination",
             explanation: "Destinations are `[PROTOCOL:]HOST[%IFACE][:PORT][:SSL]`, not URLs: `tcp://host` resolves the host `//host` and fails at connect time. Write `host:19999` or `tcp:host:19999`."),
        Rule(code: "SC502", severity: .error, title: "IPv6 address without brackets",
             explanation: "An IPv6 address must be written in brackets (`[fe80::1]:19999`); without them the host ends at the first colon."),
        Rule(code: "SC503", severity: .error, title: "`:ssl` in the wrong case",
             explanation: "Only the exact, case-sensitive `:SSL` turns TLS on; `:ssl` becomes part of the port and resolution fails."),
        Rule(code: "SC504", severity: .error, title: "text after `:SSL`",
             explanation: "Netdata cuts the entry at `:SSL`, so anything after it (such as a port) is dropped. Put `:SSL` last: `host:19999:SSL`."),
        Rule(code: "SC505", severity: .error, title: "destination without a host",
             explanation: "An entry such as `:19999` or `[]` names no host; Netdata logs \"does not specify a host\" at connect time."),
        Rule(code: "SC506", severity: .error, title: "invalid port",
             explanation: "A port must be a number from 1 to 65535 or a service name from /etc/services."),
        Rule(code: "SC507", severity: .error, title: "UDP destination",
             explanation: "`udp:` is accepted by the parser, but parents only accept streams over TCP."),
        Rule(code: "SC508", severity: .warning, title: "`:SSL` in a list on Netdata 1.37",
             explanation: "Netdata 1.37.1 applies the first `:SSL` to every parent and cuts the destination list there: later parents are silently dropped and earlier ones use TLS too (fixed in 1.40)."),
        Rule(code: "SC509", severity: .warning, title: "`:SSL` in a proxy destination on 1.37",
             explanation: "Netdata 1.37.1 does not understand `:SSL` in `proxy destination`; it becomes part of the port and the connection fails."),
        Rule(code: "SC510", severity: .note, title: "interface on a non-IPv6 destination",
             explanation: "`%interface` only scopes IPv6 link-local addresses; for IPv4 addresses and host names it is ignored."),
        Rule(code: "SC511", severity: .error, title: "missing `]`",
             explanation: "A bracketed host needs its closing `]`; without it the rest of the entry becomes the host."),
        Rule(code: "SC512", severity: .note, title: "port given as a service name",
             explanation: "A non-numeric port is looked up in /etc/services on the child; make sure it exists there."),
        Rule(code: "SC513", severity: .error, title: "placeholder instead of a parent's address",
             explanation: "`PARENT_IP_ADDRESS` (the stock file's example), `PARENT_ADDRESS` (the example in this tool's hints) and similar capitalised words with underscores are placeholders: host names have no underscores, so the lookup fails and the child never reaches that parent. Write the parent's address."),

        // 6xx: simple patterns.
        Rule(code: "SC601", severity: .error, title: "pattern with only negative words",
             explanation: "A simple pattern matches only through a positive word; a list of only `!words` matches nothing, so every child is refused. Append `*` to allow the rest."),
        Rule(code: "SC602", severity: .error, title: "CIDR in allow from",
             explanation: "Simple patterns have no CIDR notation: `10.0.0.0/8` is compared as text and never matches. Use wildcards such as `10.*`."),
        Rule(code: "SC603", severity: .error, title: "host name in allow from",
             explanation: "`allow from` is matched against the peer's numeric address only (no DNS), so host names never match, except `localhost`."),
        Rule(code: "SC604", severity: .error, title: "comma in a pattern",
             explanation: "Simple patterns are separated by spaces only; `10.0.0.1,10.0.0.2` is one word that matches nothing."),
        Rule(code: "SC605", severity: .error, title: "loopback address in allow from",
             explanation: "Netdata renames 127.0.0.1 and ::1 to `localhost` before matching, so `127.0.0.1` never matches a local child. Use `localhost`."),
        Rule(code: "SC606", severity: .warning, title: "negative word after a matching positive",
             explanation: "The first matching word decides: in `10.* !10.1.2.3` the `10.*` matches first, so the exclusion never applies. Put negative words first."),
        Rule(code: "SC607", severity: .error, title: "send charts matching sends nothing",
             explanation: "An empty `send charts matching`, or one with only negative words, sends no chart at all."),
        Rule(code: "SC608", severity: .note, title: "empty allow from",
             explanation: "An empty `allow from` disables the check: every address is allowed."),
        Rule(code: "SC609", severity: .warning, title: "loopback wildcard in allow from",
             explanation: "Netdata 1.37.1 and 2.x name a peer at 127.0.0.1 or ::1 `localhost` before matching, so a wildcard such as `127.*` never matches a child connecting over loopback; other 127.x addresses keep their numbers and do match. Add `localhost` to the pattern."),

        // 7xx: how options work together.
        Rule(code: "SC701", severity: .error, title: "streaming enabled without destination or key",
             explanation: "With `enabled = yes` but an empty `destination` or `api key`, Netdata turns sending off and logs \"cannot enable sending thread\"."),
        Rule(code: "SC702", severity: .warning, title: "TLS options without a TLS destination",
             explanation: "`ssl skip certificate verification`, `CApath` and `CAfile` only apply to destinations with `:SSL`."),
        Rule(code: "SC703", severity: .warning, title: "TLS without certificate verification",
             explanation: "`\(StreamAdvice.skipCertificateVerification)` encrypts but does not authenticate the parent. Prefer `\(StreamAdvice.caFile("PARENT.pem"))` with the parent's certificate (`stream-config child set --ca-file`)."),
        Rule(code: "SC704", severity: .warning, title: "a parent that streams forwards every child",
             explanation: "With `[stream] enabled = yes` and enabled API keys, this node proxies every child it receives to its own parents unless the key section says `\(StreamAdvice.noProxy(.v1_37, machine: false))` (1.37) or `\(StreamAdvice.noProxy(.v2, machine: false))` (2.x); a machine GUID section, `\(StreamAdvice.noProxy(.v2, machine: true))`."),
        Rule(code: "SC705", severity: .warning, title: "proxy without destination or key",
             explanation: "Forwarding needs a destination and an API key after the cascade (machine, key, [stream]); without them the child is silently not forwarded."),
        Rule(code: "SC706", severity: .note, title: "stock value not inherited",
             explanation: "A user stream.conf hides the stock file completely: options it omits take Netdata's built-in defaults, not the stock file's values."),
        Rule(code: "SC707", severity: .warning, title: "replication longer than a RAM database holds",
             explanation: "A child's database in RAM (`db = ram` or `alloc`; on 1.37 every mode but `dbengine`) holds retention × update every seconds. Mode `ram` rounds the entries up to whole memory pages (1024 entries of 4 bytes): the default 3600 become 4096, 68 minutes at 1 s. Netdata silently caps the replication period to that, so after a reconnect only that much of the gap is filled, not the 1d the replication period says. Use `dbengine`, raise the retention (in entries), or set the replication period to what the database holds."),

        // NC1xx: netdata.conf `[web] bind to` (or the old names `WebListen` reads), as Netdata reads it.
        Rule(code: "NC101", severity: .error, title: "^SSL right after the port",
             explanation: "Netdata reads the port of a `bind to` entry up to the first `=`, so in `*:19999` followed directly by `^SSL=force` the port is `19999^SSL`: getaddrinfo fails and nothing listens there. With no other entry, 1.37.1 exits (\"Cannot listen on any API socket\") and 2.x does not start. Put the access list first: `bind to = *:19999=streaming|dashboard|registry|badges|management|netdata.conf^SSL=force`."),
        Rule(code: "NC102", severity: .error, title: "invalid port in bind to",
             explanation: "A `bind to` entry with an empty port or a number outside 1-65535 cannot listen."),
        Rule(code: "NC103", severity: .warning, title: "unknown access word",
             explanation: "The access list after `=` takes `streaming`, `dashboard`, `registry`, `badges`, `management` and `netdata.conf`, separated by `|` and case-sensitive; other words are ignored."),
        Rule(code: "NC104", severity: .warning, title: "unknown ^ option",
             explanation: "Only `^SSL=force` and `^SSL=optional` (exact, case-sensitive) change a port's TLS mode; anything else after `^` is ignored, and the port serves TLS and plaintext (plain HTTP redirected) when Netdata has a certificate."),
        Rule(code: "NC105", severity: .error, title: "empty access list",
             explanation: "An entry with `=` but no access word (such as `*:19999=^SSL=force`) allows nothing: every request on that port is refused (HTTP 403), streaming included."),
        Rule(code: "NC106", severity: .warning, title: "no port allows streaming",
             explanation: "No `bind to` entry that can listen has `streaming` in its access list (an entry without `=` allows everything), so every child is refused. This is right for a node that is not a parent."),
        Rule(code: "NC107", severity: .error, title: "IPv6 address without brackets in bind to",
             explanation: "The host of a `bind to` entry ends at the first `:`; write IPv6 addresses in brackets, e.g. `[::]:19999`."),
        Rule(code: "NC108", severity: .warning, title: "old bind name ignored",
             explanation: "Netdata reads where it listens from `[web] bind to`, else `[global] bind socket to IP` (the name Debian's stock netdata.conf uses), else `[global] bind to`: it moves an old name to `[web] bind to` only when no earlier one is set. A later one that is set as well is ignored."),
        Rule(code: "NC109", severity: .note, title: "listening on loopback only",
             explanation: "Every entry of the `bind to` line Netdata reads (`[web] bind to`, else `[global] bind socket to IP`, else `[global] bind to`) is a loopback address, so children on other machines cannot connect. Debian's stock netdata.conf ships `bind socket to IP = 127.0.0.1`. The hint rewrites that line in place, under its own name, with every host made `*` and each entry's port and access list kept: Debian's line becomes `bind socket to IP = *`."),
        Rule(code: "NC110", severity: .error, title: "invalid default port",
             explanation: "The default port (`[web] default port`, else `[global] port`, else `[global] default port`, the first that is set) is read with strtoll (a leading 0 is octal, text after the digits is ignored) and must be a port between 1 and 65535; entries of `bind to` without a port use it."),

        Rule(code: "NC111", severity: .warning, title: "netdata.conf section name misspelt",
             explanation: "A section named like `[web]`, `[global]` or `[db]` but not exactly (`[Web]`, `[wbe]`, `[globl]`) holding a line that decides streaming (`bind to`, `allow streaming from`, `default port`, replication): Netdata matches section names as written, so it ignores the whole section (checked on a real 1.37.1: with its `[web]` written `[Web]`, the loopback address set there was not read and it listened on every address). The hint renames the section."),

        // NC2xx: netdata.conf TLS files.
        Rule(code: "NC201", severity: .warning, title: "^SSL without ssl key or ssl certificate",
             explanation: "A port with `^SSL=force` or `^SSL=optional` needs `[web] ssl key` and `ssl certificate`; when unset, Netdata looks for CONFIG_DIR/ssl/key.pem and cert.pem. Without readable files it serves no TLS at all (\"To use encryption it is necessary to set ...\"): a `^SSL=force` port then answers its dashboard in plaintext but refuses every child (a plaintext STREAM gets HTTP 400; checked on 1.37.1), and an `^SSL=optional` port takes plaintext only. `stream-config tls init --netdata-conf` makes and sets both."),
        Rule(code: "NC202", severity: .error, title: "TLS file unreadable",
             explanation: "The `ssl key` or `ssl certificate` file cannot be read (checked by lint, which reads the file system; the netdata user must be able to read it too). Netdata then serves no TLS, and a `^SSL=force` port refuses every child."),
        Rule(code: "NC203", severity: .note, title: "1.37 with a certificate answers only TLS children",
             explanation: "With `ssl key` and `ssl certificate` set, Netdata 1.37.1 answers no plaintext child on any port, on `^SSL=optional` ports and ports without `^SSL` too: the parent logs \"cannot write to SSL connection - connection is not ready\" and the child \"remote netdata does not respond\" (checked on a real 1.37.1; plain HTTP still works there). Every child needs `:SSL`. Netdata 2.11 keeps taking plaintext children unless the port says `^SSL=force`."),

        // NC4xx: netdata.conf [db] replication defaults (read by the parent for every child).
        Rule(code: "NC401", severity: .warning, title: "old replication name ignored",
             explanation: "Netdata 2.x renames `[db] seconds to replicate` to `replication period` and `seconds per replication step` to `replication step` only when the new name is absent; when both are set the old line is ignored."),
        Rule(code: "NC402", severity: .note, title: "renamed replication option",
             explanation: "Netdata 2.x still reads `[db] seconds to replicate` and `seconds per replication step` by renaming them to `replication period` and `replication step`, which take durations (1d, 1h)."),
        Rule(code: "NC403", severity: .error, title: "invalid replication value",
             explanation: "1.37 reads `[db] seconds to replicate` and `seconds per replication step` as integers with strtoll (text after the digits is ignored); 2.x reads `replication period` and `replication step` as durations and uses the default for a value it rejects."),
        Rule(code: "NC404", severity: .warning, title: "2.x replication name on 1.37",
             explanation: "`[db] replication period` and `replication step` are Netdata 2.x names; 1.37.1 ignores them and reads `seconds to replicate` and `seconds per replication step` (integers, in seconds)."),

        // 8xx: the file itself.
        Rule(code: "SC801", severity: .note, title: "file permissions",
             explanation: "stream.conf holds API keys: make it 0640 owned by root:netdata. It must stay readable by the netdata user, or Netdata silently falls back to the stock file."),

        // 9xx: the relay's stream.conf (`lint --relay`; the relay logs the same at start and on reload).
        Rule(code: "SC901", severity: .warning, title: "option the relay does not honour",
             explanation: "`stream-config relay` reads the stream.conf a Netdata parent would, but honours only what decides admission and forwarding: [stream] enabled, destination, api key, default port, ssl skip certificate verification, CAfile, CApath, send charts matching and enable compression; in key and machine sections type, enabled, allow from, enable compression and the proxy options (proxy enabled, proxy destination, proxy api key, proxy send charts matching; 1.37's default proxy names too). Anything else Netdata reads there (db, retention, health, replication, timeouts, buffer sizes, compression algorithms and levels) has no effect on the relay: the parent decides it in its own stream.conf, or the relay's command-line options do."),
    ]

    /// Every code of `lint` and `fleet check` (`FleetRules`), in one table for `--explain`, the man page and SARIF.
    public static let all: [Rule] = single + FleetRules.all

    static let byCode: [String: Rule] = Dictionary(uniqueKeysWithValues: all.map { ($0.code, $0) })

    /// What `lint --fix` does for the rules that have a fix, and when. Every other rule's findings
    /// need a decision and stay for the user.
    public static let fixes: [String: String] = [
        "SC101": "`[KEY] # comment`: the comment moves to its own line above the header.",
        "SC102": "the byte order mark is removed.",
        "SC108": "`name = value # comment`: the comment moves to its own line above (not when the value is only a comment).",
        "SC109": "the name is written with single spaces.",
        "SC202": "a [stream] option in a key or machine section moves to the end of [stream], when [stream] is in the file once and does not set it already (the other way round needs a decision).",
        "SC206": "the option gets its new name, keeping its value (only when the new name is not set in that section).",
        "NC402": "`[db] seconds to replicate` and `seconds per replication step` get their 2.x names (a bare number is seconds on both lines).",
        "SC304": "`type = API` (a letter-case slip of api or machine) is written in lowercase.",
        "SC501": "`tcp://HOST:PORT/` becomes `HOST:PORT` (other schemes need a decision).",
        "SC502": "the IPv6 address gets its brackets when where it ends is certain: `fe80::1` becomes `[fe80::1]`, `fd00::5:19999` `[fd00::5]:19999`; `fd00::5:1999` is left.",
        "SC503": "`:ssl` (any letter case) becomes `:SSL`.",
        "SC506": "`HOST:19999/` loses its slashes.",
    ]

    public static func rule(_ code: String) -> Rule? { byCode[code.uppercased()] }
}

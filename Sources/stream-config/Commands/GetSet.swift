import ArgumentParser
import StreamConfig
import StreamConfigSystem

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the value Netdata uses for an option, and where it comes from.",
        discussion: "The value goes to standard output; its source (FILE:LINE, or the built-in default) to standard error."
    )

    @Argument(help: ArgumentHelp("The section: stream, or a key or machine GUID (\(KeyInput.sectionHelp)).", valueName: "section")) var section: String
    @Argument(help: ArgumentHelp("The option name, e.g. \"enabled\" or \"allow from\"; without it, every option of the section Netdata reads.", valueName: "option")) var option: String?
    @Option(help: ArgumentHelp("The stream.conf to read (default: the file Netdata reads).", valueName: "file"), completion: .file()) var file: String?
    @Option(help: "Netdata line: 1.37, 2 or auto.") var target: TargetChoice = .auto
    @Flag(help: "Print API keys in full.") var showSecrets = false
    @OptionGroup var quiet: QuietOption

    func run() throws {
        try withUserErrors {
            let section = try KeyInput.section(section)
            let path: String
            if let file { path = file } else if let found = ConfigDirectories.fromEnvironment().effectiveFile() { path = found.path } else {
                throw StreamConfigError.noInput("no stream.conf found", hint: "pass --file")
            }
            let document = Document(bytes: try FileAccess.read(path).bytes)
            let report = Linter.lint(document: document, file: path, options: LintOptions(target: target.target))
            let masker = SecretMasker.forOutput(showSecrets: showSecrets, secrets: report.secrets)
            func source(_ value: EffectiveValue) -> String {
                switch value.source {
                case .file(let line, let section, let key): return "from \(path):\(line) ([\(masker.mask(section))] \(key))"
                case .builtInDefault(let target): return "built-in default for \(target.displayName) (not set in \(path))"
                }
            }
            do {
                guard let option else {
                    // The whole section: `name = value` on stdout, each with its source on stderr.
                    for (name, value) in try Resolver.effectiveSection(section, in: Ini(document), target: report.target) {
                        Terminal.stdout("\(name) = \(masker.mask(value.value))")
                        Terminal.info("  \(name): \(source(value))")
                    }
                    return
                }
                let effective = try Resolver.effective(section: section, key: option, in: Ini(document), target: report.target)
                Terminal.stdout(masker.mask(effective.value))
                Terminal.info(source(effective))
            } catch let error as ResolveError {
                throw StreamConfigError.usage(error.message)
            }
        }
    }
}

struct SetOption: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set an option in a section, in place, keeping every other byte.")

    @Argument(help: ArgumentHelp("The section: stream, or a key or machine GUID (\(KeyInput.sectionHelp)).", valueName: "section")) var section: String
    @Argument(help: ArgumentHelp("The option name.", valueName: "option")) var option: String
    @Argument(help: ArgumentHelp("The value, exactly as Netdata should read it; for \"api key\", \(KeyInput.help).", valueName: "value")) var value: String?
    @OptionGroup var rewrite: RewriteOptions

    func run() throws {
        try withUserErrors {
            let section = try KeyInput.section(section)
            let value: String
            if SecretMasker.isKeyLikeName(option) {
                guard let key = try KeyInput.read(self.value, orEnvironmentFor: "the value of \(option)") else {
                    throw StreamConfigError.usage("give the key: VALUE, - (from standard input), @FILE, or $\(KeyInput.environmentVariable)")
                }
                value = key
            } else {
                guard let given = self.value else { throw StreamConfigError.usage("give the value to set \(option) to") }
                value = given
            }
            try Rewrite.run(rewrite, describe: "set [\(section)] \(option) = \(value)") { editor, target in
                try checkKnown(section: section, option: option, editor: editor, target: target, force: rewrite.force)
                try ConfigEditor.requirePattern(key: option, value: value)
                try editor.set(section: section, key: option, value: value)
            }
        }
    }
}

struct Unset: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove an option from a section (Netdata then uses its default).")

    @Argument(help: ArgumentHelp("The section (\(KeyInput.sectionHelp)).", valueName: "section")) var section: String
    @Argument(help: ArgumentHelp("The option name.", valueName: "option")) var option: String
    @OptionGroup var rewrite: RewriteOptions

    func run() throws {
        try withUserErrors {
            let section = try KeyInput.section(section)
            try Rewrite.run(rewrite, describe: "removed \(option) from [\(section)]") { editor, target in
                // A name written in the file is removed whatever it is (typos too); one that is not
                // there is either already unset or a name Netdata does not read here.
                if editor.ini.section(section)?.option(option) == nil {
                    try checkKnown(section: section, option: option, editor: editor, target: target, force: rewrite.force)
                }
                try editor.unset(section: section, key: option)
            }
        }
    }
}

/// Refuses option names Netdata would ignore there (with a did-you-mean), unless --force.
func checkKnown(section: String, option: String, editor: ConfigEditor, target: NetdataTarget, force: Bool) throws {
    guard !force else { return }
    do {
        _ = try Resolver.validate(section: section, key: option, in: editor.ini, target: target)
    } catch let error as ResolveError {
        throw StreamConfigError.usage(error.message, hint: error.suggestion.map { "use `\($0)`, or --force to write the name anyway" } ?? "see `man stream.conf`, or --force to write the name anyway")
    }
}

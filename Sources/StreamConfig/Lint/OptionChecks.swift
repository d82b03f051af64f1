/// Every option line, in one pass with one schema look-up each (lint's hot loop): whether
/// Netdata reads the name where it is written (`OptionNameChecks`), then its value as Netdata
/// reads it (`ValueChecks`).
enum OptionChecks {
    static func run(_ context: inout LintContext) {
        let schema = context.schema
        for section in context.ini.sections {
            let roles = context.roles(of: section)
            let bits = SectionRole.bits(roles)
            // The last occurrence is the one Netdata uses; earlier ones got SC110.
            let duplicates = section.hasDuplicates ? section.laterDuplicates() : nil
            for (index, option) in section.options.enumerated() {
                var spec = schema.spec(option.key, roleBits: bits)
                if spec == nil {
                    OptionNameChecks.check(&context, option: option, in: section, roles: roles)
                    spec = Resolver.spec(option.key, roles: roles, schema: schema)  // a renamed option
                }
                guard let spec, duplicates?[index] == nil else { continue }
                ValueChecks.check(&context, option, as: spec, in: section)
            }
        }
    }
}

/// Which lines go when one region of a section is removed, so the result looks hand-edited.
///
/// * The header and every line up to the next header: the region Netdata files under it.
/// * Column-0 comment lines directly above the header (no blank line between): they describe it.
/// * Except the region's trailing documentation of what follows: after the region's last
///   content line (anything but blank lines and column-0 comments), everything from the first
///   blank line on stays. In the stock files this is the unindented introduction of the next
///   part ("# 3. PER SENDING HOST SETTINGS ...").
/// * Blank lines meeting at the cut are then reduced to one, or to none at the start or end of
///   the file.
///
/// Only comments and blank lines are judged by layout; what Netdata reads is decided by `Ini`.
enum SectionRemoval {
    static func remove(_ region: SectionRegion, from document: inout Document) {
        // A header that shares its physical line with the next one cannot be cut out line-wise.
        guard !region.lines.isEmpty else { return }
        let lines = document.lines
        let isBlank = { (index: Int) in EditSyntax.isBlank(lines[index].text) }
        let isColumnZeroComment = { (index: Int) in EditSyntax.isColumnZeroComment(lines[index].text) }

        var start = region.headerLine
        while start > 0, isColumnZeroComment(start - 1) { start -= 1 }

        let end = region.lines.upperBound
        let body = (region.headerLine + 1)..<end
        let lastContent = body.last { !isBlank($0) && !isColumnZeroComment($0) } ?? region.headerLine
        let stop = ((lastContent + 1)..<end).first(where: isBlank) ?? end

        document.removeLines(start..<max(start, stop))
        collapseBlankLines(around: start, in: &document)
    }

    /// Leaves at most one blank line where the removed lines were, and none when the cut is at
    /// the start or the end of the file.
    private static func collapseBlankLines(around junction: Int, in document: inout Document) {
        let lines = document.lines
        var low = junction
        while low > 0, EditSyntax.isBlank(lines[low - 1].text) { low -= 1 }
        var high = junction
        while high < lines.count, EditSyntax.isBlank(lines[high].text) { high += 1 }
        if low == 0 || high == lines.count {
            document.removeLines(low..<high)
        } else if high - low > 1 {
            document.removeLines((low + 1)..<high)
        }
    }
}

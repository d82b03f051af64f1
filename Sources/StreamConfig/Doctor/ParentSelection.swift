/// Which parent a Netdata 2.x child with several destinations tries first, from the parents'
/// `stream_info` answers (protocol spec 1.9 and 5.2, `stream_parent_connect_to_one_unsafe`):
/// a parent that failed at the socket is postponed this round; one that reports this node as
/// its own (`ingest_type` localhost or virtual) is banned for good; one still initializing this
/// node is postponed 30-60 s; the rest are tried newest data first (`last_time_s`), in random
/// order among those within 120 s of each other. A single parent is used as it is.
public enum ParentSelection {
    /// What one parent's `stream_info` said.
    public struct Info: Sendable, Equatable {
        public var status: Int?
        public var hostID: String?
        public var ingestType: String?
        public var ingestStatus: String?
        public var lastTime: Int64

        /// nil when the answer is not HTTP with a JSON body (a 1.x parent's 404 page, a redirect).
        public static func parse(_ bytes: [UInt8]) -> Info? {
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.hasPrefix("HTTP/"), let headerEnd = text.firstRange(of: "\r\n\r\n") else { return nil }
            let body = String(text[headerEnd.upperBound...])
            guard body.contains("\"version\"") else { return nil }
            func field(_ name: String) -> String? { StreamInfoDiagnosis.field(name, in: body) }
            return Info(status: field("status").flatMap { Int($0) }, hostID: field("host_id"), ingestType: field("ingest_type"),
                        ingestStatus: field("ingest_status"), lastTime: field("last_time_s").flatMap { Int64($0) } ?? 0)
        }
    }

    public enum Answer: Sendable, Equatable {
        /// The connection or the answer failed (refused, timeout, TLS, closed without a reply).
        case failed
        /// HTTP, but not stream_info JSON: the child goes on without information.
        case noInfo
        case info(Info)
    }

    public struct Choice: Sendable, Equatable {
        public var destination: String
        /// 1-based place in the order the child tries, nil when skipped.
        public var rank: Int?
        public var why: String
    }

    public static let shuffleWindow: Int64 = 120

    public static func order(_ answers: [(destination: String, answer: Answer)]) -> [Choice] {
        var skipped: [Choice] = []
        var usable: [(destination: String, last: Int64, why: String)] = []
        for (destination, answer) in answers {
            switch answer {
            case .failed:
                skipped.append(Choice(destination: destination, rank: nil, why: "its stream_info failed at the socket: postponed (30-60 s after a refusal or a close, 5-15 min after a timeout) and skipped this round"))
            case .noInfo:
                usable.append((destination, 0, "no stream_info data (not a 2.x parent, or a page that is not JSON): tried as holding nothing of this node"))
            case .info(let info):
                if let type = info.ingestType, type == "localhost" || type == "virtual" {
                    skipped.append(Choice(destination: destination, rank: nil, why: "it reports this node as its own (ingest_type \(type)): banned for good, it is the origin"))
                } else if info.ingestStatus == "initializing" {
                    skipped.append(Choice(destination: destination, rank: nil, why: "it is still initializing this node: postponed 30-60 s"))
                } else if info.status == 200 {
                    let online = info.ingestStatus == "online" || info.ingestStatus == "replicating"
                    usable.append((destination, info.lastTime, "holds this node's data up to last_time_s \(info.lastTime) (ingest \(info.ingestStatus ?? "?"))"
                        + (online ? "; banned for this session if its host_id \(info.hostID ?? "?") is already in this node's path" : "")))
                } else {
                    usable.append((destination, 0, "does not hold this node (stream_info \(info.status.map(String.init) ?? "?")): tried as holding nothing of it"))
                }
            }
        }
        if usable.count == 1 {
            return [Choice(destination: usable[0].destination, rank: 1, why: usable[0].why + "; the only parent left, used as it is")] + skipped
        }
        let sorted = usable.enumerated().sorted { ($0.element.last, -$0.offset) > ($1.element.last, -$1.offset) }.map(\.element)
        var result: [Choice] = []
        for (index, entry) in sorted.enumerated() {
            let ties = sorted.filter { $0.destination != entry.destination && abs($0.last - entry.last) <= shuffleWindow }.map(\.destination)
            let random = ties.isEmpty ? "" : "; in random order with \(ties.joined(separator: ", ")) (within \(shuffleWindow) s of each other)"
            result.append(Choice(destination: entry.destination, rank: index + 1, why: entry.why + random))
        }
        return result + skipped
    }

    /// One diagnosis: the order, and why.
    public static func diagnosis(_ choices: [Choice]) -> Diagnosis {
        let tried = choices.filter { $0.rank != nil }
        let lines = choices.map { choice in
            (choice.rank.map { "\($0). \(choice.destination)" } ?? "skipped \(choice.destination)") + ": " + choice.why
        }
        guard let first = tried.first else {
            return Diagnosis(verdict: .refused, code: "parent-order", summary: "a 2.x child tries no parent this round: " + lines.joined(separator: "; "),
                             fix: "make at least one parent answer its stream_info (start it, or check the address and port)")
        }
        // Skipped parents are a problem of their own (their steps fail): not an `ok` line.
        return Diagnosis(verdict: tried.count == choices.count ? .accepted : .note, code: "parent-order",
                         summary: "a 2.x child tries \(first.destination) first: " + lines.joined(separator: "; "), fix: nil)
    }
}

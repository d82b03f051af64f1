/// The exact bytes a Netdata parent answers to a `STREAM` request (protocol.md 1.5, 1.6). They
/// are not HTTP: no status line, no headers, no trailing newline. A child compares them byte for
/// byte after a single `recv`, so they must be sent exactly like this, alone, in one write.
public enum StreamAnswer {
    /// Success with a capability bitmap or a legacy version number: the prefix, then decimal digits.
    public static let promptPrefix = "Hit me baby, push them over with the version="
    /// Success for a V1 child (no or an old `ver`).
    public static let promptV1 = "Hit me baby, push them over..."
    /// Success for a V2 child.
    public static let promptV2 = "Hit me baby, push them over and bring the host labels..."

    /// 67 bytes. Every stream.conf refusal (key, machine GUID, `allow from`); the child logs
    /// "remote server denied access" and backs off 60 s.
    public static let notPermitted = "You are not permitted to access this. Check the logs for more info."
    /// A receiver for this machine GUID is alive (the child backs off 120 s).
    public static let alreadyStreaming = "This GUID is already streaming to this server"
    /// The machine GUID is the parent's own (the child backs off 1 h).
    public static let sameLocalhost = "Don't hit me baby, you are trying to stream my localhost back"
    /// 2.x: the machine GUID is a virtual node collected on the parent.
    public static let sameVnode = "Don't hit me baby, you are trying to stream my vnode back"
    /// Rate limit (1.37 children do not recognise it: "not understood", 60 s).
    public static let tooBusy = "The server is too busy now to accept this request. Try later."
    /// 2.x only.
    public static let internalError = "The server encountered an internal error. Try later."
    /// 2.x only.
    public static let initializing = "The server is initializing. Try later."
    /// 1.37 web-server ACL (`[web] allow streaming from`).
    public static let notAllowedV1 = "You are not allowed to access this resource."
    /// 2.x web-server ACL.
    public static let notAuthorizedV2 = "You need to be authorized to access this resource"

    /// Every fixed sentence, with the code Netdata's logs use for it (spec 1.6, 6.3).
    public static let fixedSentences: [(text: String, code: Int)] = [
        (promptV1, 200), (promptV2, 200),
        (notPermitted, 401), (alreadyStreaming, 409), (sameLocalhost, 101), (sameVnode, 101),
        (tooBusy, 503), (internalError, 500), (initializing, 102),
        (notAllowedV1, 403), (notAuthorizedV2, 451),
    ]
}

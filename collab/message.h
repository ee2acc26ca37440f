// SPDX-License-Identifier: MIT
#pragma once

#include "expected.h"
#include "selection.h"
#include "textoperation.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace collab {

// The wire protocol between the desktop editor and coscribe-relay (docs/PROTOCOL.md is the reference):
// WebSocket text frames, each one JSON object with a "type". This file is the one codec both sides use, so
// they cannot drift apart: typed message structs, one encoder and one decoder per message. Encoding writes
// compact JSON directly (JsonWriter), keys in sorted order; decoding parses with RapidJSON (a private
// dependency of collab) and reads each field under one set of rules, naming the offending field.
//
// "op", "selection" and "idle" exist in both directions with different fields, so decoding is per
// direction: Message::decodeClient() (what the relay reads) and Message::decodeServer() (what the editor
// reads). Encoding is one overload per struct: Message::encode(Message::Ack{...}).
//
// Decoding is strict where leniency would let two readers disagree: a repeated key, more than 32 keys in an
// object, a NUL byte or a lone surrogate in a string are errors. Unknown keys are ignored (newer peers).
//
// Pure QtCore: no I/O happens here.

inline constexpr int ProtocolVersion = 1;
// Rate limits (docs/PROTOCOL.md, "welcome"): a message whose reply is large costs one token more per this
// many units of the reply (UTF-16 code units of the text it carries), on the relay and in a client keeping to it.
inline constexpr qint64 ReplyUnitsPerToken = 64 * 1024;

// The size of text in UTF-8, counted without converting it (limits on frames count bytes on the wire). A lone
// surrogate counts three bytes, as much as anything Qt could write for it.
qsizetype utf8Size(QStringView text);

// Error codes carried by {"type":"error"}; names on the wire are kebab-case (protocolErrorName()).
enum class ProtocolErrorCode {
    MalformedJson,
    InvalidMessage,
    UnknownType,
    BinaryFrame,
    NotAuthenticated,
    Forbidden,
    ReadOnly,
    ProtocolVersion,
    InvalidDocumentId,
    NoSuchDocument,
    DocumentExists,
    NotOpen,
    AlreadyOpen,
    InvalidOperation,
    BaseLengthMismatch,
    SplitsSurrogatePair,
    RevisionFromFuture,
    OutOfOrderSequence,
    MessageTooLarge,
    DocumentTooLarge,
    RateLimited,
    TooManyConnections,
    ServerError,
    ConflictRetry,     // lost commit races too often: nothing applied, resend after retryAfterMs
    ClientIdTaken,     // hello: the clientId belongs to another client (other secret or other user)
    QuotaExceeded,     // a per-user limit (documents, creations per hour) is reached
    RevisionTooOld,    // op: too far behind to transform cheaply; catch up (open with rev) and resend
    Unknown,           // a code this build does not know (a newer relay): decoded, never sent
};

QString protocolErrorName(ProtocolErrorCode code);
std::optional<ProtocolErrorCode> protocolErrorFromName(QStringView name);

// WebSocket close codes the relay uses (besides 1000 normal).
enum class CloseCode : quint16 {
    GoingAway = 1001,        // relay shutting down
    PolicyViolation = 1008,  // origin refused, authentication failed
    TooBig = 1009,           // frame above the hard size limit
    ServerError = 1011,
    ProtocolVersion = 4002,  // hello carried an unsupported protocol version
    HelloTimeout = 4008,     // no valid hello in time
    Flood = 4029,            // kept sending past the rate limit
    PongTimeout = 4010,      // heartbeat not answered
    AccessChanged = 4011,    // the tokens file changed this token's grants: reconnect to get them
    SlowConsumer = 4013,     // left more unread output queued than the relay holds for one connection
};

// A decoding (or request) failure: the code, a human-readable message naming the field, and the request
// id / document of the message when they could be read, so the reply can be correlated.
struct ProtocolError
{
    ProtocolErrorCode code = ProtocolErrorCode::InvalidMessage;
    QString message;
    QString ref;   // the request's "id", if it had one
    QString doc;   // the request's "doc", if it had one
};

// The codec's results: a value or a ProtocolError (collab::Expected with engine errors elsewhere).
template<typename T>
using ProtocolResult = Expected<T, ProtocolError>;

// What a connection may do with a document (read < write < admin); the relay's tokens grant these.
enum class Role { Read, Write, Admin };
QString roleName(Role role);
std::optional<Role> roleFromName(QStringView name);

// Document ids: [A-Za-z0-9._-]{1,64}, not starting with a dot (so never "." / ".." or a hidden file).
bool isValidDocumentId(QStringView id);
// A document id for a title of any Unicode ("Meeting notes, März" -> "Meeting-notes-Marz"): letters and digits
// stripped of accents, every other run of characters one '-', at most 48 characters; a title with none of
// those (all CJK, say) gets "doc-" and 8 hex digits of its SHA-256. The same title always gives the same id.
QString documentIdForTitle(QStringView title);

// One participant of an open document, as the relay describes it in "opened" and "join".
struct Participant
{
    QString connectionId;
    QString clientId;
    QString user;
    QString name;
    QString color;
    Selection selection;
    bool idle = false;
    bool readOnly = false;

    QByteArray toJsonBytes() const;
    static ProtocolResult<Participant> fromJsonBytes(const QByteArray &json);
    bool operator==(const Participant &) const = default;
};

// One entry of "documents".
struct DocumentInfo
{
    QString id;
    QString name;
    int revision = 0;
    int participants = 0;
    qint64 length = -1;   // UTF-16 code units; -1 (omitted on the wire): unknown
    qint64 modified = 0;  // ms since the epoch of its last edit (or its creation); 0 (omitted): unknown
    QStringList people;   // display names of who has it open (at most maxListedPeople); omitted when empty
    QString role;         // the requester's role on it ("read", "write", "admin"); omitted when not given

    static constexpr int maxListedPeople = 16;

    bool operator==(const DocumentInfo &) const = default;
};

// One committed operation in "opened".ops: `revision` is the revision it produced.
struct CommittedOperation
{
    int revision = 0;
    TextOperation operation;
    QString author;
    qint64 sequence = 0;

    static ProtocolResult<CommittedOperation> fromJsonBytes(const QByteArray &json);
    bool operator==(const CommittedOperation &) const = default;
};

// One author's stretch of editing in a document's history: consecutive operations of one author (the same
// user and display name) with no pause longer than the relay's history gap between them.
struct EditSession
{
    QString user;        // the authenticated user ("anonymous" without tokens)
    QString name;        // display name and colour as they were at the session's last operation
    QString color;
    int from = 0;        // the revisions its operations produced: from..to
    int to = 0;
    qint64 start = 0;    // ms since the epoch: when its first and last operations were stored
    qint64 end = 0;
    qint64 inserted = 0; // UTF-16 code units inserted and deleted
    qint64 deleted = 0;
    int operations = 0;
    bool operator==(const EditSession &) const = default;
};

// Who wrote something: the authenticated user, and display name and colour.
struct Author
{
    QString user;
    QString name;
    QString color;
    bool operator==(const Author &) const = default;
};

// A stretch of the text and who inserted it (an index into the reply's authors; -1: unknown, text stored
// before authors were kept).
struct AuthorRun
{
    qint64 length = 0;
    int author = -1;
    bool operator==(const AuthorRun &) const = default;
};

struct Message
{
    // ---- client -> server -------------------------------------------------------------------------
    struct Hello
    {
        static constexpr const char *type = "hello";
        int protocol = ProtocolVersion;
        QString clientId;
        QString name;
        QString color;                 // "#rrggbb"
        std::optional<QString> token;
        // Proves the clientId is this client's: the relay keeps a digest of it beside the clientId from the
        // first hello on, and refuses the clientId with another secret (or, with tokens, another user).
        // Random, at least minSecretLength characters, never shown to anyone.
        QString secret;
        static constexpr qsizetype minSecretLength = 16;
        // 64 hex digits from the system's random source.
        static QString newSecret();
    };
    struct List
    {
        static constexpr const char *type = "list";
        QString id;
    };
    struct Create
    {
        static constexpr const char *type = "create";
        QString id;
        QString doc;                   // empty: the relay picks an id
        QString name;
    };
    struct Rename
    {
        static constexpr const char *type = "rename";
        QString id;
        QString doc;
        QString name;
    };
    struct Delete
    {
        static constexpr const char *type = "delete";
        QString id;
        QString doc;
    };
    struct Open
    {
        static constexpr const char *type = "open";
        QString id;
        QString doc;
        std::optional<int> revision;   // last revision the client knows
        bool create = false;
        bool pending = false;          // the client holds unacknowledged edits: catch up by operations only
        QString name;                  // with create: the title of the document it makes (empty: its id)

    };
    struct Close
    {
        static constexpr const char *type = "close";
        QString id;
        QString doc;
    };
    // The document's edit sessions, newest first, among the operations up to revision `before` (0: all).
    struct History
    {
        static constexpr const char *type = "history";
        QString id;
        QString doc;
        int before = 0;
        int limit = 50;                // 1..maxLimit
        static constexpr int maxLimit = 200;
    };
    // The document's text as it was at `revision` (0: empty, the current revision: now).
    struct GetRevision
    {
        static constexpr const char *type = "revision";
        QString id;
        QString doc;
        int revision = 0;
    };
    // What changed from revision `from` to revision `to` (from <= to), as one operation.
    struct GetDiff
    {
        static constexpr const char *type = "diff";
        QString id;
        QString doc;
        int from = 0;
        int to = 0;
    };
    // The document's named versions; with `name`, first name revision `revision` so (`save`, write role) or
    // delete the version of that name (`remove`, write role).
    struct Versions
    {
        static constexpr const char *type = "versions";
        QString id;
        QString doc;
        QString name;                  // 1..256 characters, with save or remove
        std::optional<int> revision;   // save: the revision to name (absent: the current one)
        bool save = false;
        bool remove = false;
    };
    // Who wrote each part of the current text.
    struct GetAuthors
    {
        static constexpr const char *type = "authors";
        QString id;
        QString doc;
    };
    struct Op
    {
        static constexpr const char *type = "op";
        QString doc;
        int revision = 0;              // base revision ("rev")
        qint64 sequence = 0;           // "seq", 1, 2, 3, ... per clientId
        TextOperation operation;
        std::optional<Selection> selection; // sender's selection after the op
    };
    struct SetSelection
    {
        static constexpr const char *type = "selection";
        QString doc;
        int revision = 0;
        Selection selection;
    };
    struct SetIdle
    {
        static constexpr const char *type = "idle";
        QString doc;
        bool idle = false;
    };

    // ---- server -> client -------------------------------------------------------------------------
    struct Welcome
    {
        static constexpr const char *type = "welcome";
        int protocol = ProtocolVersion;
        QString server;
        QString user;
        QString connectionId;
        qint64 maxMessageBytes = 0;    // 0: not announced
        qint64 maxDocumentBytes = 0;
        int opsPerSecond = 0;          // messages per second, sustained
        int heartbeatSeconds = 0;
        int burst = 0;                 // messages at once above the sustained rate
        int maxOperationComponents = 0;
        int maxSelectionRanges = 0;
        int maxOperationLag = 0;       // revisions an op may be behind the document
    };
    struct Documents
    {
        static constexpr const char *type = "documents";
        QString ref;
        QList<DocumentInfo> documents;
    };
    struct Created
    {
        static constexpr const char *type = "created";
        QString ref;
        QString doc;
        QString name;
    };
    struct Renamed
    {
        static constexpr const char *type = "renamed";
        QString ref;
        QString doc;
        QString name;
    };
    struct Deleted
    {
        static constexpr const char *type = "deleted";
        QString ref;
        QString doc;
    };
    struct Opened
    {
        static constexpr const char *type = "opened";
        QString ref;
        QString doc;
        QString name;
        int revision = 0;
        Role role = Role::Read;
        std::optional<QString> snapshot;                 // the text at `revision`: replace local text
        std::optional<QList<CommittedOperation>> ops;    // else: the operations after the asked revision
        bool more = false;                               // ops is a first page: open again from its end
        QList<Participant> participants;
    };
    struct Closed
    {
        static constexpr const char *type = "closed";
        QString ref;
        QString doc;
    };
    struct HistoryPage
    {
        static constexpr const char *type = "history";
        QString ref;
        QString doc;
        int revision = 0;              // the document's revision when the page was read
        QList<EditSession> sessions;   // newest first
        int next = 0;                  // ask again with before = next for older sessions; 0: no more
    };
    struct RevisionText
    {
        static constexpr const char *type = "revision";
        QString ref;
        QString doc;
        int revision = 0;
        QString text;
    };
    struct Diff
    {
        static constexpr const char *type = "diff";
        QString ref;
        QString doc;
        int from = 0;
        int to = 0;
        TextOperation operation;       // applies to the text at `from`, gives the text at `to`
        QList<Author> authors;         // whose operations are in between (absent when the span was too long to read)
        int charged = 0;               // the rate-limit tokens the request cost, when more than one
    };
    struct Version
    {
        QString name;
        int revision = 0;
        QString user;
        qint64 created = 0;            // ms since the epoch
        bool operator==(const Version &) const = default;
    };
    struct VersionList
    {
        static constexpr const char *type = "versions";
        QString ref;
        QString doc;
        QList<Version> versions;       // newest revision first
    };
    struct Authors
    {
        static constexpr const char *type = "authors";
        QString ref;
        QString doc;
        int revision = 0;
        QList<Author> authors;
        QList<AuthorRun> runs;         // consecutive, covering the text at `revision`
    };
    struct Join
    {
        static constexpr const char *type = "join";
        QString doc;
        Participant participant;
    };
    struct Leave
    {
        static constexpr const char *type = "leave";
        QString doc;
        QString connectionId;
    };
    struct Ack
    {
        static constexpr const char *type = "ack";
        QString doc;
        int revision = 0;
        qint64 sequence = 0;
    };
    struct RemoteOp
    {
        static constexpr const char *type = "op";
        QString doc;
        int revision = 0;              // the revision this op produced
        TextOperation operation;
        QString author;                // clientId
        qint64 sequence = 0;
        QString connectionId;
        std::optional<Selection> selection;
    };
    struct SelectionChanged
    {
        static constexpr const char *type = "selection";
        QString doc;
        QString connectionId;
        int revision = 0;              // server revision the selection refers to
        Selection selection;
    };
    struct IdleChanged
    {
        static constexpr const char *type = "idle";
        QString doc;
        QString connectionId;
        bool idle = false;
    };
    struct Error
    {
        static constexpr const char *type = "error";
        ProtocolErrorCode code = ProtocolErrorCode::ServerError; // kebab-case on the wire
        QString message;
        QString ref;
        QString doc;
        std::optional<int> retryAfterMs;
        static Error from(const ProtocolError &e);
    };

    using Client = std::variant<Hello, List, Create, Rename, Delete, Open, Close, Op, SetSelection, SetIdle, History,
                                GetRevision, GetDiff, GetAuthors, Versions>;
    using Server = std::variant<Welcome, Documents, Created, Renamed, Deleted, Opened, Closed, Join, Leave, Ack,
                                RemoteOp, SelectionChanged, IdleChanged, Error, HistoryPage, RevisionText, Diff,
                                Authors, VersionList>;

    // Strict decoding of one text frame. Errors: MalformedJson (not JSON / not an object), UnknownType,
    // InvalidMessage (message names the field), InvalidDocumentId, InvalidOperation (bad op array).
    static ProtocolResult<Client> decodeClient(const QByteArray &frame);
    static ProtocolResult<Server> decodeServer(const QByteArray &frame);
    // A frame as QWebSocket hands it over (offsets in errors count UTF-16 units): the same decoder.
    static ProtocolResult<Client> decodeClient(QStringView frame);
    static ProtocolResult<Server> decodeServer(QStringView frame);

    // Compact JSON of each message.
    static QByteArray encode(const Hello &m);
    static QByteArray encode(const List &m);
    static QByteArray encode(const Create &m);
    static QByteArray encode(const Rename &m);
    static QByteArray encode(const Delete &m);
    static QByteArray encode(const Open &m);
    static QByteArray encode(const Close &m);
    static QByteArray encode(const Op &m);
    static QByteArray encode(const SetSelection &m);
    static QByteArray encode(const SetIdle &m);
    static QByteArray encode(const Welcome &m);
    static QByteArray encode(const Documents &m);
    static QByteArray encode(const Created &m);
    static QByteArray encode(const Renamed &m);
    static QByteArray encode(const Deleted &m);
    static QByteArray encode(const Opened &m);
    static QByteArray encode(const Closed &m);
    static QByteArray encode(const Join &m);
    static QByteArray encode(const Leave &m);
    static QByteArray encode(const Ack &m);
    static QByteArray encode(const RemoteOp &m);
    static QByteArray encode(const SelectionChanged &m);
    static QByteArray encode(const IdleChanged &m);
    static QByteArray encode(const Error &m);
    static QByteArray encode(const History &m);
    static QByteArray encode(const GetRevision &m);
    static QByteArray encode(const HistoryPage &m);
    static QByteArray encode(const RevisionText &m);
    static QByteArray encode(const GetDiff &m);
    static QByteArray encode(const GetAuthors &m);
    static QByteArray encode(const Diff &m);
    static QByteArray encode(const Authors &m);
    static QByteArray encode(const Versions &m);
    static QByteArray encode(const VersionList &m);
    static QByteArray encode(const Client &message);
    static QByteArray encode(const Server &message);
    // The same JSON as text: the WebSocket frame, which QWebSocket takes as a QString (converted once, by Qt).
    static QString encodeText(const Hello &m);
    static QString encodeText(const List &m);
    static QString encodeText(const Create &m);
    static QString encodeText(const Rename &m);
    static QString encodeText(const Delete &m);
    static QString encodeText(const Open &m);
    static QString encodeText(const Close &m);
    static QString encodeText(const Op &m);
    static QString encodeText(const SetSelection &m);
    static QString encodeText(const SetIdle &m);
    static QString encodeText(const Welcome &m);
    static QString encodeText(const Documents &m);
    static QString encodeText(const Created &m);
    static QString encodeText(const Renamed &m);
    static QString encodeText(const Deleted &m);
    static QString encodeText(const Opened &m);
    static QString encodeText(const Closed &m);
    static QString encodeText(const Join &m);
    static QString encodeText(const Leave &m);
    static QString encodeText(const Ack &m);
    static QString encodeText(const RemoteOp &m);
    static QString encodeText(const SelectionChanged &m);
    static QString encodeText(const IdleChanged &m);
    static QString encodeText(const Error &m);
    static QString encodeText(const History &m);
    static QString encodeText(const GetRevision &m);
    static QString encodeText(const HistoryPage &m);
    static QString encodeText(const RevisionText &m);
    static QString encodeText(const GetDiff &m);
    static QString encodeText(const GetAuthors &m);
    static QString encodeText(const Diff &m);
    static QString encodeText(const Authors &m);
    static QString encodeText(const Versions &m);
    static QString encodeText(const VersionList &m);
    static QString encodeText(const Client &message);
    static QString encodeText(const Server &message);

private:
    // The one decoder of each direction, over either form of a frame (message.cpp).
    template<typename Document, typename Input>
    static ProtocolResult<Client> decodeClientFrame(Input frame);
    template<typename Document, typename Input>
    static ProtocolResult<Server> decodeServerFrame(Input frame);
};

} // namespace collab

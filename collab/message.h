// SPDX-License-Identifier: MIT
#pragma once

#include "selection.h"
#include "textoperation.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace collab {

// The wire protocol between the desktop editor and coscribe-relay (docs/PROTOCOL.md is the reference):
// WebSocket text frames, each one JSON object with a "type". This file is the one codec both sides use, so
// they cannot drift apart: typed message structs, strict decoding that names the offending field, compact
// encoding.
//
// "op", "selection" and "idle" exist in both directions with different fields, so decoding is per
// direction: Message::decodeClient() (what the relay reads) and Message::decodeServer() (what the editor
// reads). Encoding is one template over every struct: Message::encode(Message::Ack{...}).
//
// Pure QtCore: no I/O happens here.

inline constexpr int ProtocolVersion = 1;

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

// Expected<T> with a ProtocolError (collab::Expected carries engine errors).
template<typename T>
class ProtocolResult
{
public:
    ProtocolResult(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    ProtocolResult(ProtocolError error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool hasValue() const { return m_data.index() == 0; }
    explicit operator bool() const { return hasValue(); }
    T &value() & { return std::get<0>(m_data); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    const ProtocolError &error() const { return std::get<1>(m_data); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

private:
    std::variant<T, ProtocolError> m_data;
};

enum class Role { Read, Write, Admin };
QString roleName(Role role);
std::optional<Role> roleFromName(QStringView name);

// Document ids: [A-Za-z0-9._-]{1,64}, not starting with a dot (so never "." / ".." or a hidden file).
bool isValidDocumentId(QStringView id);

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

    QJsonObject toJson() const;
    static ProtocolResult<Participant> fromJson(const QJsonValue &json);
    bool operator==(const Participant &) const = default;
};

// One entry of "documents".
struct DocumentInfo
{
    QString id;
    QString name;
    int revision = 0;
    int participants = 0;
    qint64 length = -1;   // UTF-16 code units; -1 (omitted on the wire): not loaded, unknown

    QJsonObject toJson() const;
    static ProtocolResult<DocumentInfo> fromJson(const QJsonValue &json);
    bool operator==(const DocumentInfo &) const = default;
};

// One committed operation in "opened".ops: `revision` is the revision it produced.
struct CommittedOperation
{
    int revision = 0;
    TextOperation operation;
    QString author;
    qint64 sequence = 0;

    QJsonObject toJson() const;
    static ProtocolResult<CommittedOperation> fromJson(const QJsonValue &json);
    bool operator==(const CommittedOperation &) const = default;
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
        QJsonObject toJson() const;
    };
    struct List
    {
        static constexpr const char *type = "list";
        QString id;
        QJsonObject toJson() const;
    };
    struct Create
    {
        static constexpr const char *type = "create";
        QString id;
        QString doc;                   // empty: the relay picks an id
        QString name;
        QJsonObject toJson() const;
    };
    struct Rename
    {
        static constexpr const char *type = "rename";
        QString id;
        QString doc;
        QString name;
        QJsonObject toJson() const;
    };
    struct Delete
    {
        static constexpr const char *type = "delete";
        QString id;
        QString doc;
        QJsonObject toJson() const;
    };
    struct Open
    {
        static constexpr const char *type = "open";
        QString id;
        QString doc;
        std::optional<int> revision;   // last revision the client knows
        bool create = false;
        bool pending = false;          // the client holds unacknowledged edits: catch up by operations only

        QJsonObject toJson() const;
    };
    struct Close
    {
        static constexpr const char *type = "close";
        QString id;
        QString doc;
        QJsonObject toJson() const;
    };
    struct Op
    {
        static constexpr const char *type = "op";
        QString doc;
        int revision = 0;              // base revision ("rev")
        qint64 sequence = 0;           // "seq", 1, 2, 3, ... per clientId
        TextOperation operation;
        std::optional<Selection> selection; // sender's selection after the op
        QJsonObject toJson() const;
    };
    struct SetSelection
    {
        static constexpr const char *type = "selection";
        QString doc;
        int revision = 0;
        Selection selection;
        QJsonObject toJson() const;
    };
    struct SetIdle
    {
        static constexpr const char *type = "idle";
        QString doc;
        bool idle = false;
        QJsonObject toJson() const;
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
        QJsonObject toJson() const;
    };
    struct Documents
    {
        static constexpr const char *type = "documents";
        QString ref;
        QList<DocumentInfo> documents;
        QJsonObject toJson() const;
    };
    struct Created
    {
        static constexpr const char *type = "created";
        QString ref;
        QString doc;
        QString name;
        QJsonObject toJson() const;
    };
    struct Renamed
    {
        static constexpr const char *type = "renamed";
        QString ref;
        QString doc;
        QString name;
        QJsonObject toJson() const;
    };
    struct Deleted
    {
        static constexpr const char *type = "deleted";
        QString ref;
        QString doc;
        QJsonObject toJson() const;
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
        QJsonObject toJson() const;
    };
    struct Closed
    {
        static constexpr const char *type = "closed";
        QString ref;
        QString doc;
        QJsonObject toJson() const;
    };
    struct Join
    {
        static constexpr const char *type = "join";
        QString doc;
        Participant participant;
        QJsonObject toJson() const;
    };
    struct Leave
    {
        static constexpr const char *type = "leave";
        QString doc;
        QString connectionId;
        QJsonObject toJson() const;
    };
    struct Ack
    {
        static constexpr const char *type = "ack";
        QString doc;
        int revision = 0;
        qint64 sequence = 0;
        QJsonObject toJson() const;
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
        QJsonObject toJson() const;
    };
    struct SelectionChanged
    {
        static constexpr const char *type = "selection";
        QString doc;
        QString connectionId;
        int revision = 0;              // server revision the selection refers to
        Selection selection;
        QJsonObject toJson() const;
    };
    struct IdleChanged
    {
        static constexpr const char *type = "idle";
        QString doc;
        QString connectionId;
        bool idle = false;
        QJsonObject toJson() const;
    };
    struct Error
    {
        static constexpr const char *type = "error";
        QString code;                  // kebab-case; unknown codes are kept as they are
        QString message;
        QString ref;
        QString doc;
        std::optional<int> retryAfterMs;
        QJsonObject toJson() const;
        static Error from(const ProtocolError &e);
    };

    using Client = std::variant<Hello, List, Create, Rename, Delete, Open, Close, Op, SetSelection, SetIdle>;
    using Server = std::variant<Welcome, Documents, Created, Renamed, Deleted, Opened, Closed, Join, Leave, Ack,
                                RemoteOp, SelectionChanged, IdleChanged, Error>;

    // Strict decoding of one text frame. Errors: MalformedJson (not JSON / not an object), UnknownType,
    // InvalidMessage (message names the field), InvalidDocumentId, InvalidOperation (bad op array).
    // The per-keystroke messages (client "op"/"selection", server "op"/"ack"/"selection") take a fast path
    // (RapidJSON) when the frame is exactly the expected shape; anything else goes to the QJsonDocument
    // decoder, so results and errors are the same either way.
    static ProtocolResult<Client> decodeClient(const QByteArray &frame);
    static ProtocolResult<Server> decodeServer(const QByteArray &frame);
    // The QJsonDocument decoders alone, without the fast path (tests compare the two).
    static ProtocolResult<Client> decodeClientSlow(const QByteArray &frame);
    static ProtocolResult<Server> decodeServerSlow(const QByteArray &frame);

    // Compact JSON of any message struct above.
    template<typename M>
    static QByteArray encode(const M &message)
    {
        return QJsonDocument(message.toJson()).toJson(QJsonDocument::Compact);
    }
    // The per-keystroke messages are written directly (JsonWriter): same bytes, a fraction of the cost.
    static QByteArray encode(const Op &message);
    static QByteArray encode(const Ack &message);
    static QByteArray encode(const RemoteOp &message);
    static QByteArray encode(const SetSelection &message);
    static QByteArray encode(const SelectionChanged &message);
    static QByteArray encode(const Client &message);
    static QByteArray encode(const Server &message);
};

} // namespace collab

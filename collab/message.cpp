// SPDX-License-Identifier: MIT
#include "message.h"

#include "jsonwriter.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QJsonParseError>

#include <rapidjson/document.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace collab {

namespace {

constexpr qint64 MaxSequence = qint64(1) << 53;
constexpr qsizetype MaxIdLength = 128;
constexpr qsizetype MinSecretLength = Message::Hello::minSecretLength;
constexpr qsizetype MaxSecretLength = 256;

struct CodeName
{
    ProtocolErrorCode code;
    const char *name;
};

constexpr CodeName codeNames[] = {
    {ProtocolErrorCode::MalformedJson, "malformed-json"},
    {ProtocolErrorCode::InvalidMessage, "invalid-message"},
    {ProtocolErrorCode::UnknownType, "unknown-type"},
    {ProtocolErrorCode::BinaryFrame, "binary-frame"},
    {ProtocolErrorCode::NotAuthenticated, "not-authenticated"},
    {ProtocolErrorCode::Forbidden, "forbidden"},
    {ProtocolErrorCode::ReadOnly, "read-only"},
    {ProtocolErrorCode::ProtocolVersion, "protocol-version"},
    {ProtocolErrorCode::InvalidDocumentId, "invalid-document-id"},
    {ProtocolErrorCode::NoSuchDocument, "no-such-document"},
    {ProtocolErrorCode::DocumentExists, "document-exists"},
    {ProtocolErrorCode::NotOpen, "not-open"},
    {ProtocolErrorCode::AlreadyOpen, "already-open"},
    {ProtocolErrorCode::InvalidOperation, "invalid-operation"},
    {ProtocolErrorCode::BaseLengthMismatch, "base-length-mismatch"},
    {ProtocolErrorCode::SplitsSurrogatePair, "splits-surrogate-pair"},
    {ProtocolErrorCode::RevisionFromFuture, "revision-from-future"},
    {ProtocolErrorCode::OutOfOrderSequence, "out-of-order-sequence"},
    {ProtocolErrorCode::MessageTooLarge, "message-too-large"},
    {ProtocolErrorCode::DocumentTooLarge, "document-too-large"},
    {ProtocolErrorCode::RateLimited, "rate-limited"},
    {ProtocolErrorCode::TooManyConnections, "too-many-connections"},
    {ProtocolErrorCode::ServerError, "server-error"},
    {ProtocolErrorCode::ConflictRetry, "conflict-retry"},
    {ProtocolErrorCode::ClientIdTaken, "client-id-taken"},
    {ProtocolErrorCode::QuotaExceeded, "quota-exceeded"},
    {ProtocolErrorCode::RevisionTooOld, "revision-too-old"},
};

// Reads fields of one JSON object, remembering the first problem. Each accessor returns a default value
// after an error, so decoders read straight through and check ok() once at the end.
class Reader
{
public:
    Reader(const QJsonObject &object, QString context) : m_object(object), m_context(std::move(context)) {}

    bool ok() const { return !m_error.has_value(); }
    ProtocolError error() const { return *m_error; }
    void fail(ProtocolErrorCode code, const QString &message)
    {
        if (!m_error)
            m_error = ProtocolError{code, m_context + QStringLiteral(": ") + message, {}, {}};
    }

    bool has(const char *key) const
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        return !v.isUndefined() && !v.isNull();
    }

    QString string(const char *key, bool required = true, qsizetype maxLength = -1)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
            return {};
        }
        if (!v.isString()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be a string").arg(QLatin1StringView(key)));
            return {};
        }
        QString s = v.toString();
        if (maxLength >= 0 && s.size() > maxLength) {
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\" is longer than %2 characters").arg(QLatin1StringView(key)).arg(maxLength));
            return {};
        }
        return s;
    }

    std::optional<qint64> integer(const char *key, qint64 min, qint64 max, bool required = true)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
            return std::nullopt;
        }
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d) || d < double(min) || d > double(max)) {
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\" must be an integer in [%2, %3]").arg(QLatin1StringView(key)).arg(min).arg(max));
            return std::nullopt;
        }
        return qint64(d);
    }

    bool boolean(const char *key, bool required = true, bool fallback = false)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
            return fallback;
        }
        if (!v.isBool()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be a boolean").arg(QLatin1StringView(key)));
            return fallback;
        }
        return v.toBool();
    }

    QString docId(const char *key = "doc", bool required = true)
    {
        const QString id = string(key, required, 1024);
        if (ok() && (required || !id.isNull()) && !isValidDocumentId(id))
            fail(ProtocolErrorCode::InvalidDocumentId,
                 QStringLiteral("field \"%1\" is not a valid document id (allowed: [A-Za-z0-9._-]{1,64}, no leading dot)")
                     .arg(QLatin1StringView(key)));
        return id;
    }

    TextOperation operation(const char *key)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
            return {};
        }
        if (!v.isArray()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be an array").arg(QLatin1StringView(key)));
            return {};
        }
        Expected<TextOperation> op = TextOperation::fromJson(v);
        if (!op) {
            fail(ProtocolErrorCode::InvalidOperation,
                 QStringLiteral("field \"%1\": %2").arg(QLatin1StringView(key), op.error().message));
            return {};
        }
        return std::move(op).value();
    }

    std::optional<Selection> selection(const char *key, bool required)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
            return std::nullopt;
        }
        Expected<Selection> s = Selection::fromJson(v);
        if (!s) {
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\": %2").arg(QLatin1StringView(key), s.error().message));
            return std::nullopt;
        }
        return std::move(s).value();
    }

    QJsonValue value(const char *key) const { return m_object.value(QLatin1StringView(key)); }

private:
    const QJsonObject &m_object;
    QString m_context;
    std::optional<ProtocolError> m_error;
};

bool isColor(const QString &s)
{
    if (s.size() != 7 || s.at(0) != u'#')
        return false;
    for (qsizetype i = 1; i < 7; ++i) {
        const char16_t c = s.at(i).unicode();
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F')))
            return false;
    }
    return true;
}

QJsonObject header(const char *type)
{
    QJsonObject o;
    o.insert(QStringLiteral("type"), QLatin1StringView(type));
    return o;
}

void insertIfNotEmpty(QJsonObject &o, const char *key, const QString &value)
{
    if (!value.isEmpty())
        o.insert(QLatin1StringView(key), value);
}

int toRevision(std::optional<qint64> v) { return v ? int(*v) : 0; }

} // namespace

QString protocolErrorName(ProtocolErrorCode code)
{
    for (const CodeName &c : codeNames)
        if (c.code == code)
            return QLatin1StringView(c.name);
    return QStringLiteral("server-error");
}

std::optional<ProtocolErrorCode> protocolErrorFromName(QStringView name)
{
    for (const CodeName &c : codeNames)
        if (name == QLatin1StringView(c.name))
            return c.code;
    return std::nullopt;
}

QString roleName(Role role)
{
    switch (role) {
    case Role::Read: return QStringLiteral("read");
    case Role::Write: return QStringLiteral("write");
    case Role::Admin: return QStringLiteral("admin");
    }
    return QStringLiteral("read");
}

std::optional<Role> roleFromName(QStringView name)
{
    if (name == u"read")
        return Role::Read;
    if (name == u"write")
        return Role::Write;
    if (name == u"admin")
        return Role::Admin;
    return std::nullopt;
}

bool isValidDocumentId(QStringView id)
{
    if (id.isEmpty() || id.size() > 64 || id.front() == u'.')
        return false;
    for (QChar ch : id) {
        const char16_t c = ch.unicode();
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.'
                        || c == u'_' || c == u'-';
        if (!ok)
            return false;
    }
    return true;
}

// ---- shared value types ----------------------------------------------------------------------------------

QJsonObject Participant::toJson() const
{
    return QJsonObject{{QStringLiteral("connectionId"), connectionId},
                       {QStringLiteral("clientId"), clientId},
                       {QStringLiteral("user"), user},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("color"), color},
                       {QStringLiteral("selection"), selection.toJson()},
                       {QStringLiteral("idle"), idle},
                       {QStringLiteral("readOnly"), readOnly}};
}

ProtocolResult<Participant> Participant::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("participant must be an object"), {}, {}};
    const QJsonObject o = json.toObject();
    Reader r(o, QStringLiteral("participant"));
    Participant p;
    p.connectionId = r.string("connectionId");
    p.clientId = r.string("clientId");
    p.user = r.string("user", false);
    p.name = r.string("name", false);
    p.color = r.string("color", false);
    p.selection = r.selection("selection", false).value_or(Selection());
    p.idle = r.boolean("idle", false);
    p.readOnly = r.boolean("readOnly", false);
    if (!r.ok())
        return r.error();
    return p;
}

QJsonObject DocumentInfo::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("revision"), revision},
                       {QStringLiteral("participants"), participants}};
    if (length >= 0)
        o.insert(QStringLiteral("length"), double(length));
    return o;
}

ProtocolResult<DocumentInfo> DocumentInfo::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("document entry must be an object"), {}, {}};
    const QJsonObject o = json.toObject();
    Reader r(o, QStringLiteral("documents"));
    DocumentInfo d;
    d.id = r.string("id");
    d.name = r.string("name", false);
    d.revision = toRevision(r.integer("revision", 0, INT_MAX));
    d.participants = int(r.integer("participants", 0, INT_MAX, false).value_or(0));
    d.length = r.integer("length", 0, MaxSequence, false).value_or(-1);
    if (!r.ok())
        return r.error();
    return d;
}

QJsonObject CommittedOperation::toJson() const
{
    return QJsonObject{{QStringLiteral("rev"), revision},
                       {QStringLiteral("op"), operation.toJson()},
                       {QStringLiteral("author"), author},
                       {QStringLiteral("seq"), double(sequence)}};
}

ProtocolResult<CommittedOperation> CommittedOperation::fromJson(const QJsonValue &json)
{
    if (!json.isObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("ops entry must be an object"), {}, {}};
    const QJsonObject o = json.toObject();
    Reader r(o, QStringLiteral("ops"));
    CommittedOperation c;
    c.revision = toRevision(r.integer("rev", 1, INT_MAX));
    c.operation = r.operation("op");
    c.author = r.string("author", false);
    c.sequence = r.integer("seq", 0, MaxSequence, false).value_or(0);
    if (!r.ok())
        return r.error();
    return c;
}

// ---- encoders ------------------------------------------------------------------------------------------

QString Message::Hello::newSecret()
{
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
}

QJsonObject Message::Hello::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("protocol"), protocol);
    o.insert(QStringLiteral("clientId"), clientId);
    o.insert(QStringLiteral("secret"), secret);
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("color"), color);
    if (token)
        o.insert(QStringLiteral("token"), *token);
    return o;
}

QJsonObject Message::List::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    return o;
}

QJsonObject Message::Create::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    insertIfNotEmpty(o, "doc", doc);
    insertIfNotEmpty(o, "name", name);
    return o;
}

QJsonObject Message::Rename::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("name"), name);
    return o;
}

QJsonObject Message::Delete::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    o.insert(QStringLiteral("doc"), doc);
    return o;
}

QJsonObject Message::Open::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    o.insert(QStringLiteral("doc"), doc);
    if (revision)
        o.insert(QStringLiteral("revision"), *revision);
    if (create)
        o.insert(QStringLiteral("create"), true);
    if (pending)
        o.insert(QStringLiteral("pending"), true);
    return o;
}

QJsonObject Message::Close::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "id", id);
    o.insert(QStringLiteral("doc"), doc);
    return o;
}

QJsonObject Message::Op::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("rev"), revision);
    o.insert(QStringLiteral("seq"), double(sequence));
    o.insert(QStringLiteral("op"), operation.toJson());
    if (selection)
        o.insert(QStringLiteral("selection"), selection->toJson());
    return o;
}

QJsonObject Message::SetSelection::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("rev"), revision);
    o.insert(QStringLiteral("selection"), selection.toJson());
    return o;
}

QJsonObject Message::SetIdle::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("idle"), idle);
    return o;
}

QJsonObject Message::Welcome::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("protocol"), protocol);
    o.insert(QStringLiteral("server"), server);
    o.insert(QStringLiteral("user"), user);
    o.insert(QStringLiteral("connectionId"), connectionId);
    QJsonObject limits;
    if (maxMessageBytes > 0)
        limits.insert(QStringLiteral("maxMessageBytes"), double(maxMessageBytes));
    if (maxDocumentBytes > 0)
        limits.insert(QStringLiteral("maxDocumentBytes"), double(maxDocumentBytes));
    if (opsPerSecond > 0)
        limits.insert(QStringLiteral("opsPerSecond"), opsPerSecond);
    if (burst > 0)
        limits.insert(QStringLiteral("burst"), burst);
    if (maxOperationComponents > 0)
        limits.insert(QStringLiteral("maxOperationComponents"), maxOperationComponents);
    if (maxSelectionRanges > 0)
        limits.insert(QStringLiteral("maxSelectionRanges"), maxSelectionRanges);
    if (maxOperationLag > 0)
        limits.insert(QStringLiteral("maxOperationLag"), maxOperationLag);
    if (!limits.isEmpty())
        o.insert(QStringLiteral("limits"), limits);
    if (heartbeatSeconds > 0)
        o.insert(QStringLiteral("heartbeatSeconds"), heartbeatSeconds);
    return o;
}

QJsonObject Message::Documents::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    QJsonArray list;
    for (const DocumentInfo &d : documents)
        list.append(d.toJson());
    o.insert(QStringLiteral("documents"), list);
    return o;
}

QJsonObject Message::Created::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("name"), name);
    return o;
}

QJsonObject Message::Renamed::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("name"), name);
    return o;
}

QJsonObject Message::Deleted::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    o.insert(QStringLiteral("doc"), doc);
    return o;
}

QJsonObject Message::Opened::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("name"), name);
    o.insert(QStringLiteral("revision"), revision);
    o.insert(QStringLiteral("role"), roleName(role));
    if (snapshot)
        o.insert(QStringLiteral("snapshot"), *snapshot);
    if (ops) {
        QJsonArray list;
        for (const CommittedOperation &c : *ops)
            list.append(c.toJson());
        o.insert(QStringLiteral("ops"), list);
    }
    if (more)
        o.insert(QStringLiteral("more"), true);
    QJsonArray people;
    for (const Participant &p : participants)
        people.append(p.toJson());
    o.insert(QStringLiteral("participants"), people);
    return o;
}

QJsonObject Message::Closed::toJson() const
{
    QJsonObject o = header(type);
    insertIfNotEmpty(o, "ref", ref);
    o.insert(QStringLiteral("doc"), doc);
    return o;
}

QJsonObject Message::Join::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("participant"), participant.toJson());
    return o;
}

QJsonObject Message::Leave::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("connectionId"), connectionId);
    return o;
}

QJsonObject Message::Ack::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("rev"), revision);
    o.insert(QStringLiteral("seq"), double(sequence));
    return o;
}

QJsonObject Message::RemoteOp::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("rev"), revision);
    o.insert(QStringLiteral("op"), operation.toJson());
    o.insert(QStringLiteral("author"), author);
    o.insert(QStringLiteral("seq"), double(sequence));
    o.insert(QStringLiteral("connectionId"), connectionId);
    if (selection)
        o.insert(QStringLiteral("selection"), selection->toJson());
    return o;
}

QJsonObject Message::SelectionChanged::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("connectionId"), connectionId);
    o.insert(QStringLiteral("rev"), revision);
    o.insert(QStringLiteral("selection"), selection.toJson());
    return o;
}

QJsonObject Message::IdleChanged::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("doc"), doc);
    o.insert(QStringLiteral("connectionId"), connectionId);
    o.insert(QStringLiteral("idle"), idle);
    return o;
}

QJsonObject Message::Error::toJson() const
{
    QJsonObject o = header(type);
    o.insert(QStringLiteral("code"), code);
    o.insert(QStringLiteral("message"), message);
    insertIfNotEmpty(o, "ref", ref);
    insertIfNotEmpty(o, "doc", doc);
    if (retryAfterMs)
        o.insert(QStringLiteral("retryAfterMs"), *retryAfterMs);
    return o;
}

Message::Error Message::Error::from(const ProtocolError &e)
{
    return Error{protocolErrorName(e.code), e.message, e.ref, e.doc, std::nullopt};
}

namespace {

// Keys in QJsonObject's sorted order, so the bytes equal QJsonDocument's (tst_message checks it).
void writeSelection(JsonWriter &w, const Selection &selection)
{
    w.beginObject().key("ranges").beginArray();
    for (const Selection::Range &r : selection.ranges())
        w.beginObject().key("anchor").value(qint64(r.anchor)).key("head").value(qint64(r.head)).endObject();
    w.endArray().endObject();
}

} // namespace

QByteArray Message::encode(const Op &m)
{
    JsonWriter w;
    w.beginObject().key("doc").value(m.doc).key("op");
    m.operation.writeJson(w);
    w.key("rev").value(m.revision);
    if (m.selection)
        writeSelection(w.key("selection"), *m.selection);
    w.key("seq").value(m.sequence).key("type").value(u"op").endObject();
    return std::move(w).bytes();
}

QByteArray Message::encode(const Ack &m)
{
    JsonWriter w(64);
    w.beginObject().key("doc").value(m.doc).key("rev").value(m.revision).key("seq").value(m.sequence);
    w.key("type").value(u"ack").endObject();
    return std::move(w).bytes();
}

QByteArray Message::encode(const RemoteOp &m)
{
    JsonWriter w;
    w.beginObject().key("author").value(m.author).key("connectionId").value(m.connectionId);
    w.key("doc").value(m.doc).key("op");
    m.operation.writeJson(w);
    w.key("rev").value(m.revision);
    if (m.selection)
        writeSelection(w.key("selection"), *m.selection);
    w.key("seq").value(m.sequence).key("type").value(u"op").endObject();
    return std::move(w).bytes();
}

QByteArray Message::encode(const SetSelection &m)
{
    JsonWriter w;
    w.beginObject().key("doc").value(m.doc).key("rev").value(m.revision);
    writeSelection(w.key("selection"), m.selection);
    w.key("type").value(u"selection").endObject();
    return std::move(w).bytes();
}

QByteArray Message::encode(const SelectionChanged &m)
{
    JsonWriter w;
    w.beginObject().key("connectionId").value(m.connectionId).key("doc").value(m.doc).key("rev").value(m.revision);
    writeSelection(w.key("selection"), m.selection);
    w.key("type").value(u"selection").endObject();
    return std::move(w).bytes();
}

QByteArray Message::encode(const Client &message)
{
    return std::visit([](const auto &m) { return Message::encode(m); }, message);
}

QByteArray Message::encode(const Server &message)
{
    return std::visit([](const auto &m) { return Message::encode(m); }, message);
}

// ---- decoders ------------------------------------------------------------------------------------------

namespace {

struct Envelope
{
    QJsonObject object;
    QString type;
    QString ref;
    QString doc;
};

ProtocolResult<Envelope> parseEnvelope(const QByteArray &frame, bool readRequestId)
{
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(frame, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return ProtocolError{ProtocolErrorCode::MalformedJson,
                             QStringLiteral("not valid JSON at offset %1: %2")
                                 .arg(parseError.offset)
                                 .arg(parseError.errorString()),
                             {}, {}};
    if (!json.isObject())
        return ProtocolError{ProtocolErrorCode::MalformedJson, QStringLiteral("a message must be a JSON object"), {}, {}};
    Envelope e;
    e.object = json.object();
    // Best effort: the request id and document, so even a rejected message's error can be correlated.
    if (readRequestId) {
        const QJsonValue id = e.object.value(QStringLiteral("id"));
        if (id.isString() && id.toString().size() <= MaxIdLength)
            e.ref = id.toString();
    } else {
        const QJsonValue ref = e.object.value(QStringLiteral("ref"));
        if (ref.isString())
            e.ref = ref.toString();
    }
    const QJsonValue doc = e.object.value(QStringLiteral("doc"));
    if (doc.isString() && isValidDocumentId(doc.toString()))
        e.doc = doc.toString();
    const QJsonValue type = e.object.value(QStringLiteral("type"));
    if (type.isUndefined())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"type\""), e.ref, e.doc};
    if (!type.isString())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"type\" must be a string"), e.ref,
                             e.doc};
    e.type = type.toString();
    return e;
}

template<typename M, typename Variant>
ProtocolResult<Variant> wrap(Reader &r, const Envelope &e, M &&m)
{
    if (!r.ok()) {
        ProtocolError err = r.error();
        err.ref = e.ref;
        err.doc = e.doc;
        return err;
    }
    return Variant(std::forward<M>(m));
}

} // namespace

ProtocolResult<Message::Client> Message::decodeClientSlow(const QByteArray &frame)
{
    ProtocolResult<Envelope> parsed = parseEnvelope(frame, true);
    if (!parsed)
        return parsed.error();
    const Envelope &e = *parsed;
    Reader r(e.object, e.type);
    // Every request may carry an id; a non-string one is an error rather than silently dropped.
    const QString id = r.string("id", false, MaxIdLength);
    using V = Client;

    if (e.type == u"hello") {
        Hello m;
        m.protocol = int(r.integer("protocol", 0, INT_MAX).value_or(0));
        m.clientId = r.string("clientId", true, MaxIdLength);
        if (r.ok() && m.clientId.isEmpty())
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"clientId\" must not be empty"));
        m.secret = r.string("secret", true, MaxSecretLength);
        if (r.ok() && m.secret.size() < MinSecretLength)
            r.fail(ProtocolErrorCode::InvalidMessage,
                   QStringLiteral("field \"secret\" must have at least %1 characters").arg(MinSecretLength));
        m.name = r.string("name", false, 128);
        m.color = r.string("color", false, 7);
        if (r.ok() && !m.color.isEmpty() && !isColor(m.color))
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"color\" must look like #rrggbb"));
        if (r.has("token"))
            m.token = r.string("token", false, 4096);
        return wrap<Hello, V>(r, e, std::move(m));
    }
    if (e.type == u"list") {
        List m;
        m.id = id;
        return wrap<List, V>(r, e, std::move(m));
    }
    if (e.type == u"create") {
        Create m;
        m.id = id;
        if (r.has("doc"))
            m.doc = r.docId("doc");
        m.name = r.string("name", false, 256);
        return wrap<Create, V>(r, e, std::move(m));
    }
    if (e.type == u"rename") {
        Rename m;
        m.id = id;
        m.doc = r.docId();
        m.name = r.string("name", true, 256);
        return wrap<Rename, V>(r, e, std::move(m));
    }
    if (e.type == u"delete") {
        Delete m;
        m.id = id;
        m.doc = r.docId();
        return wrap<Delete, V>(r, e, std::move(m));
    }
    if (e.type == u"open") {
        Open m;
        m.id = id;
        m.doc = r.docId();
        if (std::optional<qint64> rev = r.integer("revision", 0, INT_MAX, false))
            m.revision = int(*rev);
        m.create = r.boolean("create", false, false);
        m.pending = r.boolean("pending", false, false);
        return wrap<Open, V>(r, e, std::move(m));
    }
    if (e.type == u"close") {
        Close m;
        m.id = id;
        m.doc = r.docId();
        return wrap<Close, V>(r, e, std::move(m));
    }
    if (e.type == u"op") {
        Op m;
        m.doc = r.docId();
        m.revision = toRevision(r.integer("rev", 0, INT_MAX));
        m.sequence = r.integer("seq", 1, MaxSequence).value_or(0);
        m.operation = r.operation("op");
        m.selection = r.selection("selection", false);
        return wrap<Op, V>(r, e, std::move(m));
    }
    if (e.type == u"selection") {
        SetSelection m;
        m.doc = r.docId();
        m.revision = toRevision(r.integer("rev", 0, INT_MAX));
        m.selection = r.selection("selection", true).value_or(Selection());
        return wrap<SetSelection, V>(r, e, std::move(m));
    }
    if (e.type == u"idle") {
        SetIdle m;
        m.doc = r.docId();
        m.idle = r.boolean("idle");
        return wrap<SetIdle, V>(r, e, std::move(m));
    }
    return ProtocolError{ProtocolErrorCode::UnknownType,
                         QStringLiteral("unknown message type \"%1\"").arg(e.type.left(64)), e.ref, e.doc};
}

ProtocolResult<Message::Server> Message::decodeServerSlow(const QByteArray &frame)
{
    ProtocolResult<Envelope> parsed = parseEnvelope(frame, false);
    if (!parsed)
        return parsed.error();
    const Envelope &e = *parsed;
    Reader r(e.object, e.type);
    using V = Server;
    const QString ref = r.string("ref", false);

    if (e.type == u"welcome") {
        Welcome m;
        m.protocol = int(r.integer("protocol", 0, INT_MAX).value_or(0));
        m.server = r.string("server", false);
        m.user = r.string("user", false);
        m.connectionId = r.string("connectionId");
        const QJsonObject limits = e.object.value(QStringLiteral("limits")).toObject();
        Reader lr(limits, QStringLiteral("welcome.limits"));
        m.maxMessageBytes = lr.integer("maxMessageBytes", 0, MaxSequence, false).value_or(0);
        m.maxDocumentBytes = lr.integer("maxDocumentBytes", 0, MaxSequence, false).value_or(0);
        m.opsPerSecond = int(lr.integer("opsPerSecond", 0, INT_MAX, false).value_or(0));
        m.burst = int(lr.integer("burst", 0, INT_MAX, false).value_or(0));
        m.maxOperationComponents = int(lr.integer("maxOperationComponents", 0, INT_MAX, false).value_or(0));
        m.maxSelectionRanges = int(lr.integer("maxSelectionRanges", 0, INT_MAX, false).value_or(0));
        m.maxOperationLag = int(lr.integer("maxOperationLag", 0, INT_MAX, false).value_or(0));
        m.heartbeatSeconds = int(r.integer("heartbeatSeconds", 0, INT_MAX, false).value_or(0));
        return wrap<Welcome, V>(r, e, std::move(m));
    }
    if (e.type == u"documents") {
        Documents m;
        m.ref = ref;
        const QJsonValue list = r.value("documents");
        if (!list.isArray()) {
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"documents\" must be an array"));
        } else {
            for (const QJsonValue &v : list.toArray()) {
                ProtocolResult<DocumentInfo> d = DocumentInfo::fromJson(v);
                if (!d) {
                    r.fail(d.error().code, d.error().message);
                    break;
                }
                m.documents.append(*d);
            }
        }
        return wrap<Documents, V>(r, e, std::move(m));
    }
    if (e.type == u"created" || e.type == u"renamed") {
        const QString doc = r.string("doc");
        const QString name = r.string("name", false);
        if (e.type == u"created")
            return wrap<Created, V>(r, e, Created{ref, doc, name});
        return wrap<Renamed, V>(r, e, Renamed{ref, doc, name});
    }
    if (e.type == u"deleted") {
        const QString doc = r.string("doc");
        return wrap<Deleted, V>(r, e, Deleted{ref, doc});
    }
    if (e.type == u"closed") {
        const QString doc = r.string("doc");
        return wrap<Closed, V>(r, e, Closed{ref, doc});
    }
    if (e.type == u"opened") {
        Opened m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.name = r.string("name", false);
        m.revision = toRevision(r.integer("revision", 0, INT_MAX));
        const QString role = r.string("role");
        if (r.ok()) {
            if (std::optional<Role> parsedRole = roleFromName(role))
                m.role = *parsedRole;
            else
                r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"role\" must be read, write or admin"));
        }
        if (r.has("snapshot"))
            m.snapshot = r.string("snapshot");
        if (r.has("ops")) {
            const QJsonValue ops = r.value("ops");
            if (!ops.isArray()) {
                r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"ops\" must be an array"));
            } else {
                QList<CommittedOperation> list;
                for (const QJsonValue &v : ops.toArray()) {
                    ProtocolResult<CommittedOperation> c = CommittedOperation::fromJson(v);
                    if (!c) {
                        r.fail(c.error().code, c.error().message);
                        break;
                    }
                    list.append(*c);
                }
                m.ops = std::move(list);
            }
        }
        m.more = r.boolean("more", false);
        const QJsonValue people = r.value("participants");
        if (people.isArray()) {
            for (const QJsonValue &v : people.toArray()) {
                ProtocolResult<Participant> p = Participant::fromJson(v);
                if (!p) {
                    r.fail(p.error().code, p.error().message);
                    break;
                }
                m.participants.append(*p);
            }
        } else if (!people.isUndefined()) {
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"participants\" must be an array"));
        }
        return wrap<Opened, V>(r, e, std::move(m));
    }
    if (e.type == u"join") {
        Join m;
        m.doc = r.string("doc");
        ProtocolResult<Participant> p = Participant::fromJson(r.value("participant"));
        if (!p)
            r.fail(p.error().code, p.error().message);
        else
            m.participant = *p;
        return wrap<Join, V>(r, e, std::move(m));
    }
    if (e.type == u"leave") {
        Leave m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        return wrap<Leave, V>(r, e, std::move(m));
    }
    if (e.type == u"ack") {
        Ack m;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("rev", 1, INT_MAX));
        m.sequence = r.integer("seq", 0, MaxSequence).value_or(0);
        return wrap<Ack, V>(r, e, std::move(m));
    }
    if (e.type == u"op") {
        RemoteOp m;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("rev", 1, INT_MAX));
        m.operation = r.operation("op");
        m.author = r.string("author", false);
        m.sequence = r.integer("seq", 0, MaxSequence, false).value_or(0);
        m.connectionId = r.string("connectionId", false);
        m.selection = r.selection("selection", false);
        return wrap<RemoteOp, V>(r, e, std::move(m));
    }
    if (e.type == u"selection") {
        SelectionChanged m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        m.revision = toRevision(r.integer("rev", 0, INT_MAX, false));
        m.selection = r.selection("selection", true).value_or(Selection());
        return wrap<SelectionChanged, V>(r, e, std::move(m));
    }
    if (e.type == u"idle") {
        IdleChanged m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        m.idle = r.boolean("idle");
        return wrap<IdleChanged, V>(r, e, std::move(m));
    }
    if (e.type == u"error") {
        Error m;
        m.code = r.string("code");
        m.message = r.string("message", false);
        m.ref = ref;
        m.doc = r.string("doc", false);
        if (std::optional<qint64> retry = r.integer("retryAfterMs", 0, INT_MAX, false))
            m.retryAfterMs = int(*retry);
        return wrap<Error, V>(r, e, std::move(m));
    }
    return ProtocolError{ProtocolErrorCode::UnknownType,
                         QStringLiteral("unknown message type \"%1\"").arg(e.type.left(64)), e.ref, e.doc};
}

// ---- fast path for the per-keystroke messages -------------------------------------------------------------
//
// RapidJSON parses the frame; a message is returned only when it has exactly the expected shape: known keys
// each at most once, no nulls, the right types, integers written as integers and within the same ranges as
// the Reader above, operations and selections under TextOperation::fromJson's / Selection::fromJson's rules.
// Anything else (including every error) returns nothing and the QJsonDocument decoder runs, so what callers
// see, values and error messages alike, is the slow path's.

namespace {
namespace fast {

using Value = rapidjson::Value;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                            rapidjson::MemoryPoolAllocator<>>;

// Strict JSON (no comments, NaN or trailing commas), UTF-8 validated; iterative so deep nesting cannot
// exhaust the stack.
constexpr unsigned ParseFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
constexpr qint64 MaxCount = std::numeric_limits<qint32>::max(); // TextOperation's 2^31-1

template<std::size_t N>
bool keyIs(const Value &name, const char (&literal)[N])
{
    return name.GetStringLength() == N - 1 && std::memcmp(name.GetString(), literal, N - 1) == 0;
}

// A JSON string as QString. Fails on UTF-8 that encodes a surrogate (ED A0..BF): the input is validated, so
// that can only come from a lone "\udc00".."\udfff" escape, which RapidJSON writes as such bytes while
// QJsonDocument keeps the code unit. (A lone high-surrogate escape is a RapidJSON parse error.)
bool string(const Value &v, QString &out)
{
    if (!v.IsString())
        return false;
    const char *s = v.GetString();
    const char *end = s + v.GetStringLength();
    for (const char *p = s; p < end; ++p) {
        p = static_cast<const char *>(std::memchr(p, 0xed, std::size_t(end - p)));
        if (!p)
            break;
        if (p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xa0)
            return false;
    }
    out = QString::fromUtf8(s, qsizetype(end - s));
    return true;
}

// Integers written as integers only ("1.0", "1e3" and the like go to the slow path).
bool integer(const Value &v, qint64 min, qint64 max, qint64 &out)
{
    if (!v.IsInt64())
        return false;
    const qint64 n = v.GetInt64();
    if (n < min || n > max)
        return false;
    out = n;
    return true;
}

// One element of an operation, under TextOperation::fromJson's rules (shared by both fast tiers).
bool addInsert(TextOperation &op, const QString &text)
{
    if (text.isEmpty() || op.targetLength() + text.size() > MaxCount)
        return false;
    op.insert(text);
    return true;
}

bool addCount(TextOperation &op, qint64 d)
{
    if (d == 0 || d > MaxCount || d < -MaxCount)
        return false;
    const qint64 n = d > 0 ? d : -d;
    if (op.baseLength() + n > MaxCount || (d > 0 && op.targetLength() + n > MaxCount))
        return false;
    if (d > 0)
        op.retain(n);
    else
        op.remove(n);
    return true;
}

bool operation(const Value &v, TextOperation &op)
{
    if (!v.IsArray())
        return false;
    for (const Value &e : v.GetArray()) {
        if (e.IsString()) {
            QString text;
            if (!string(e, text) || !addInsert(op, text))
                return false;
        } else if (e.IsInt64()) {
            if (!addCount(op, e.GetInt64()))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

bool selection(const Value &v, Selection &out)
{
    if (!v.IsObject() || v.MemberCount() != 1)
        return false;
    const auto &member = *v.MemberBegin();
    if (!keyIs(member.name, "ranges") || !member.value.IsArray())
        return false;
    const auto array = member.value.GetArray();
    QList<Selection::Range> ranges;
    ranges.reserve(qsizetype(array.Size()));
    for (const Value &e : array) {
        if (!e.IsObject() || e.MemberCount() != 2)
            return false;
        qint64 anchor = -1;
        qint64 head = -1;
        for (const auto &m : e.GetObject()) {
            qint64 *target = keyIs(m.name, "anchor") ? &anchor : keyIs(m.name, "head") ? &head : nullptr;
            if (!target || *target >= 0 || !integer(m.value, 0, MaxCount, *target))
                return false;
        }
        if (anchor < 0 || head < 0)
            return false;
        ranges.append(Selection::Range{anchor, head});
    }
    out = Selection(std::move(ranges));
    return true;
}

enum Field { Type, Doc, Rev, Seq, Op, Sel, Author, ConnectionId, FieldCount };

constexpr unsigned bit(Field f) { return 1u << f; }

// The top-level members of a frame parsed by RapidJSON, read under the decoder's rules.
// Which top-level members a frame has, and its "type" (both tiers collect these).
struct Presence
{
    unsigned present = 0;
    QByteArrayView type;

    // Exactly the allowed keys, each once, none null, the required ones all there.
    bool shape(unsigned required, unsigned allowed) const
    {
        return (present & ~allowed) == 0 && (present & required) == required;
    }
    bool has(Field f) const { return present & bit(f); }
};

struct Fields : Presence
{
    const Value *at[FieldCount] = {};

    bool text(Field f, QString &out) const { return string(*at[f], out); }
    bool number(Field f, qint64 min, qint64 max, qint64 &out) const { return integer(*at[f], min, max, out); }
    bool operation(Field f, TextOperation &out) const { return fast::operation(*at[f], out); }
    bool selection(Field f, Selection &out) const { return fast::selection(*at[f], out); }
};

Field fieldNamed(QByteArrayView n, bool &known)
{
    const auto is = [&n](const char *name) { return std::memcmp(n.data(), name, std::size_t(n.size())) == 0; };
    known = true;
    switch (n.size()) {
    case 2: if (is("op")) return Op; break;
    case 3:
        if (is("doc"))
            return Doc;
        if (is("rev"))
            return Rev;
        if (is("seq"))
            return Seq;
        break;
    case 4: if (is("type")) return Type; break;
    case 6: if (is("author")) return Author; break;
    case 9: if (is("selection")) return Sel; break;
    case 12: if (is("connectionId")) return ConnectionId; break;
    default: break;
    }
    known = false;
    return FieldCount;
}

// Collects the top-level members by name; false on an unknown or repeated key or a null value.
bool collect(const Value &object, Fields &fields)
{
    for (const auto &m : object.GetObject()) {
        bool known = false;
        const Field f = fieldNamed(QByteArrayView(m.name.GetString(), qsizetype(m.name.GetStringLength())), known);
        if (!known || (fields.present & bit(f)) || m.value.IsNull())
            return false;
        fields.present |= bit(f);
        fields.at[f] = &m.value;
    }
    return true;
}

// Parses the frame into `document` and reads its members; false for anything but a JSON object of known keys.
bool parse(const QByteArray &frame, Document &document, Fields &fields)
{
    // RapidJSON stops at a NUL byte as at the end of input; QJsonDocument sees what follows. RapidJSON's
    // UTF-8 stream also skips the bytes of a byte order mark one by one (a lone EF vanishes), so anything
    // before the object, whitespace and BOM included, is the slow path's.
    if (frame.isEmpty() || frame.front() != '{' || std::memchr(frame.constData(), 0, std::size_t(frame.size())))
        return false;
    document.Parse<ParseFlags>(frame.constData(), std::size_t(frame.size()));
    if (document.HasParseError() || !document.IsObject() || !collect(document, fields) || !fields.has(Type))
        return false;
    const Value &t = *fields.at[Type];
    if (!t.IsString())
        return false;
    fields.type = QByteArrayView(t.GetString(), qsizetype(t.GetStringLength()));
    return true;
}

// ---- tier 0: a scanner for frames exactly as JsonWriter writes them ---------------------------------------
//
// Compact JSON (no whitespace), strings of printable ASCII with the short escapes (\" \\ \/ \b \f \n \r \t),
// integers without sign tricks (no "-0", no leading zeros, at most 18 digits), each top-level member of the
// type its name implies, "selection" as {"ranges":[{"anchor":N,"head":N},...]}. That is every per-keystroke
// frame of ASCII text, and it needs neither a DOM nor UTF-8 validation. Anything else — non-ASCII bytes,
// \u escapes, whitespace, other types, unknown keys — is left to RapidJSON by returning false.
class Scanner
{
public:
    explicit Scanner(const QByteArray &frame) : m_p(frame.constData()), m_end(frame.constData() + frame.size()) {}

    bool atEnd() const { return m_p == m_end; }
    bool literal(char c)
    {
        if (m_p == m_end || *m_p != c)
            return false;
        ++m_p;
        return true;
    }
    bool peek(char c) const { return m_p != m_end && *m_p == c; }

    // A key or short string, as raw bytes, only when it has no escape.
    bool rawString(QByteArrayView &out)
    {
        if (!literal('"'))
            return false;
        const char *start = m_p;
        while (m_p != m_end) {
            const unsigned char c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                out = QByteArrayView(start, qsizetype(m_p - start));
                ++m_p;
                return true;
            }
            if (c < 0x20 || c >= 0x80 || c == '\\')
                return false;
            ++m_p;
        }
        return false;
    }

    bool string(QString &out)
    {
        if (!literal('"'))
            return false;
        const char *start = m_p;
        while (m_p != m_end) {
            const unsigned char c = static_cast<unsigned char>(*m_p);
            if (c == '"') {
                out = QString::fromLatin1(start, qsizetype(m_p - start));
                ++m_p;
                return true;
            }
            if (c == '\\')
                return escapedString(start, out);
            if (c < 0x20 || c >= 0x80)
                return false;
            ++m_p;
        }
        return false;
    }

    bool integer(qint64 &out)
    {
        const bool negative = literal('-');
        const char *start = m_p;
        qint64 n = 0;
        while (m_p != m_end && *m_p >= '0' && *m_p <= '9') {
            if (m_p - start == 18)
                return false; // longer numbers are RapidJSON's (and cannot overflow here)
            n = n * 10 + (*m_p++ - '0');
        }
        const qsizetype digits = qsizetype(m_p - start);
        if (digits == 0 || (*start == '0' && (digits > 1 || negative)))
            return false;
        if (m_p != m_end && (*m_p == '.' || *m_p == 'e' || *m_p == 'E'))
            return false;
        out = negative ? -n : n;
        return true;
    }

    bool operation(TextOperation &op)
    {
        if (!literal('['))
            return false;
        if (literal(']'))
            return true;
        do {
            if (peek('"')) {
                QString text;
                if (!string(text) || !addInsert(op, text))
                    return false;
            } else {
                qint64 n = 0;
                if (!integer(n) || !addCount(op, n))
                    return false;
            }
        } while (literal(','));
        return literal(']');
    }

    bool selection(Selection &out)
    {
        QByteArrayView name;
        if (!literal('{') || !rawString(name) || name != "ranges" || !literal(':') || !literal('['))
            return false;
        QList<Selection::Range> ranges;
        if (!literal(']')) {
            do {
                qint64 value[2] = {-1, -1}; // anchor, head
                for (int i = 0; i < 2; ++i) {
                    if (!literal(i == 0 ? '{' : ',') || !rawString(name) || !literal(':'))
                        return false;
                    const int which = name == "anchor" ? 0 : name == "head" ? 1 : -1;
                    if (which < 0 || value[which] >= 0 || !integer(value[which]) || value[which] < 0
                        || value[which] > MaxCount)
                        return false;
                }
                if (!literal('}'))
                    return false;
                ranges.append(Selection::Range{value[0], value[1]});
            } while (literal(','));
            if (!literal(']'))
                return false;
        }
        if (!literal('}'))
            return false;
        out = Selection(std::move(ranges));
        return true;
    }

private:
    // The rest of a string from its first backslash on.
    bool escapedString(const char *start, QString &out)
    {
        QString s = QString::fromLatin1(start, qsizetype(m_p - start));
        while (m_p != m_end) {
            const unsigned char c = static_cast<unsigned char>(*m_p++);
            if (c == '"') {
                out = std::move(s);
                return true;
            }
            if (c < 0x20 || c >= 0x80)
                return false;
            if (c != '\\') {
                s.append(QLatin1Char(char(c)));
                continue;
            }
            if (m_p == m_end)
                return false;
            switch (*m_p++) {
            case '"': s.append(u'"'); break;
            case '\\': s.append(u'\\'); break;
            case '/': s.append(u'/'); break;
            case 'b': s.append(u'\b'); break;
            case 'f': s.append(u'\f'); break;
            case 'n': s.append(u'\n'); break;
            case 'r': s.append(u'\r'); break;
            case 't': s.append(u'\t'); break;
            default: return false; // \u and anything else: RapidJSON's business
            }
        }
        return false;
    }

    const char *m_p;
    const char *m_end;
};

// A frame read by the Scanner: each member already of the type its name implies.
struct ScannedFields : Presence
{
    QString texts[FieldCount];
    qint64 numbers[FieldCount] = {};
    TextOperation op;
    Selection sel;

    bool text(Field f, QString &out) const
    {
        out = texts[f];
        return true;
    }
    bool number(Field f, qint64 min, qint64 max, qint64 &out) const
    {
        out = numbers[f];
        return out >= min && out <= max;
    }
    bool operation(Field, TextOperation &out) const
    {
        out = op;
        return true;
    }
    bool selection(Field, Selection &out) const
    {
        out = sel;
        return true;
    }
};

bool scan(const QByteArray &frame, ScannedFields &f)
{
    Scanner s(frame);
    if (!s.literal('{'))
        return false;
    do {
        QByteArrayView name;
        bool known = false;
        if (!s.rawString(name) || !s.literal(':'))
            return false;
        const Field field = fieldNamed(name, known);
        if (!known || (f.present & bit(field)))
            return false;
        f.present |= bit(field);
        bool ok = false;
        switch (field) {
        case Type: ok = s.rawString(f.type); break;
        case Rev:
        case Seq: ok = s.integer(f.numbers[field]); break;
        case Op: ok = s.operation(f.op); break;
        case Sel: ok = s.selection(f.sel); break;
        default: ok = s.string(f.texts[field]); break;
        }
        if (!ok)
            return false;
    } while (s.literal(','));
    return s.literal('}') && s.atEnd() && f.has(Type);
}

// ---- the hot messages, from either tier's fields ----------------------------------------------------------

template<typename F>
bool docId(const F &f, QString &out)
{
    return f.text(Doc, out) && isValidDocumentId(out);
}

template<typename F>
std::optional<Message::Client> clientMessage(const F &f)
{
    qint64 rev = 0;
    if (f.type == "op") {
        Message::Op m;
        qint64 seq = 0;
        if (!f.shape(bit(Type) | bit(Doc) | bit(Rev) | bit(Seq) | bit(Op),
                     bit(Type) | bit(Doc) | bit(Rev) | bit(Seq) | bit(Op) | bit(Sel))
            || !docId(f, m.doc) || !f.number(Rev, 0, INT_MAX, rev) || !f.number(Seq, 1, MaxSequence, seq)
            || !f.operation(Op, m.operation))
            return std::nullopt;
        if (f.has(Sel) && !f.selection(Sel, m.selection.emplace()))
            return std::nullopt;
        m.revision = int(rev);
        m.sequence = seq;
        return Message::Client(std::move(m));
    }
    if (f.type == "selection") {
        Message::SetSelection m;
        const unsigned fields = bit(Type) | bit(Doc) | bit(Rev) | bit(Sel);
        if (!f.shape(fields, fields) || !docId(f, m.doc) || !f.number(Rev, 0, INT_MAX, rev)
            || !f.selection(Sel, m.selection))
            return std::nullopt;
        m.revision = int(rev);
        return Message::Client(std::move(m));
    }
    return std::nullopt;
}

template<typename F>
std::optional<Message::Server> serverMessage(const F &f)
{
    qint64 rev = 0;
    qint64 seq = 0;
    if (f.type == "op") {
        Message::RemoteOp m;
        if (!f.shape(bit(Type) | bit(Doc) | bit(Rev) | bit(Op),
                     bit(Type) | bit(Doc) | bit(Rev) | bit(Op) | bit(Author) | bit(Seq) | bit(ConnectionId) | bit(Sel))
            || !f.text(Doc, m.doc) || !f.number(Rev, 1, INT_MAX, rev) || !f.operation(Op, m.operation))
            return std::nullopt;
        if ((f.has(Author) && !f.text(Author, m.author)) || (f.has(Seq) && !f.number(Seq, 0, MaxSequence, seq))
            || (f.has(ConnectionId) && !f.text(ConnectionId, m.connectionId))
            || (f.has(Sel) && !f.selection(Sel, m.selection.emplace())))
            return std::nullopt;
        m.revision = int(rev);
        m.sequence = seq;
        return Message::Server(std::move(m));
    }
    if (f.type == "ack") {
        Message::Ack m;
        const unsigned fields = bit(Type) | bit(Doc) | bit(Rev) | bit(Seq);
        if (!f.shape(fields, fields) || !f.text(Doc, m.doc) || !f.number(Rev, 1, INT_MAX, rev)
            || !f.number(Seq, 0, MaxSequence, seq))
            return std::nullopt;
        m.revision = int(rev);
        m.sequence = seq;
        return Message::Server(std::move(m));
    }
    if (f.type == "selection") {
        Message::SelectionChanged m;
        if (!f.shape(bit(Type) | bit(Doc) | bit(ConnectionId) | bit(Sel),
                     bit(Type) | bit(Doc) | bit(ConnectionId) | bit(Rev) | bit(Sel))
            || !f.text(Doc, m.doc) || !f.text(ConnectionId, m.connectionId) || !f.selection(Sel, m.selection))
            return std::nullopt;
        if (f.has(Rev) && !f.number(Rev, 0, INT_MAX, rev))
            return std::nullopt;
        m.revision = int(rev);
        return Message::Server(std::move(m));
    }
    return std::nullopt;
}

// Buffers on the stack for RapidJSON's allocators: a keystroke's frame fits without a heap allocation.
struct Buffers
{
    char values[4096];
    char stack[1024];
    rapidjson::MemoryPoolAllocator<> valueAllocator{values, sizeof values};
    rapidjson::MemoryPoolAllocator<> stackAllocator{stack, sizeof stack};
    Document document{&valueAllocator, sizeof stack, &stackAllocator};
};

// Tier 0 (the scanner), then tier 1 (RapidJSON); nothing when neither has the final word, and the Qt decoder
// decides.
template<typename Assemble>
auto decode(const QByteArray &frame, Assemble assemble) -> decltype(assemble(std::declval<const Fields &>()))
{
    {
        ScannedFields scanned;
        if (scan(frame, scanned))
            return assemble(scanned);
    }
    Buffers buffers;
    Fields f;
    if (!parse(frame, buffers.document, f))
        return std::nullopt;
    return assemble(f);
}

std::optional<Message::Client> decodeClient(const QByteArray &frame)
{
    return decode(frame, [](const auto &f) { return clientMessage(f); });
}

std::optional<Message::Server> decodeServer(const QByteArray &frame)
{
    return decode(frame, [](const auto &f) { return serverMessage(f); });
}

} // namespace fast
} // namespace

ProtocolResult<Message::Client> Message::decodeClient(const QByteArray &frame)
{
    if (std::optional<Client> m = fast::decodeClient(frame))
        return std::move(*m);
    return decodeClientSlow(frame);
}

ProtocolResult<Message::Server> Message::decodeServer(const QByteArray &frame)
{
    if (std::optional<Server> m = fast::decodeServer(frame))
        return std::move(*m);
    return decodeServerSlow(frame);
}

} // namespace collab

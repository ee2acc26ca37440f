// SPDX-License-Identifier: MIT
#include "message.h"

#include "jsonreader.h"
#include "jsonwriter.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

namespace collab {

namespace {

constexpr qint64 MaxSequence = qint64(1) << 53;
constexpr qsizetype MaxIdLength = 128;
constexpr qsizetype MinSecretLength = Message::Hello::minSecretLength;
constexpr qsizetype MaxSecretLength = 256;
constexpr qint64 MaxHistoryLimit = Message::History::maxLimit;
// No message has more fields than this; more is an attack on the duplicate check, not a message.
constexpr rapidjson::SizeType MaxFields = 32;

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
    {ProtocolErrorCode::Unknown, "unknown"},
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

int toRevision(std::optional<qint64> v) { return v ? int(*v) : 0; }

// ---- reading --------------------------------------------------------------------------------------------
QString toQString(const char *s, qsizetype n)
{
    return QString::fromUtf8(s, n);
}

QString toQString(const char16_t *s, qsizetype n)
{
    return QString(reinterpret_cast<const QChar *>(s), n);
}


// Reads the fields of one JSON object, remembering the first problem. Each accessor returns a default value
// after an error, so decoders read straight through and check ok() once at the end. A missing field and a
// null one are the same. `object` may be null or not an object: then every field is missing.
template<typename V>
class Reader
{
public:
    using Unit = typename V::Ch;

    // `context` names the object in error messages (a message type, "participant", ...).
    Reader(const V *object, QLatin1StringView context) : m_context(context)
    {
        if (!object || !object->IsObject())
            return;
        if (object->MemberCount() > MaxFields) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("more than %1 fields").arg(MaxFields));
            return;
        }
        // The members indexed once (every field is looked up here, and repeated names are found here).
        for (const auto &m : object->GetObject()) {
            const Member member{m.name.GetString(), m.name.GetStringLength(), &m.value};
            for (unsigned i = 0; i < m_count; ++i) {
                if (m_members[i].length == member.length && m_members[i].name[0] == member.name[0]
                    && std::memcmp(m_members[i].name, member.name, member.length * sizeof(Unit)) == 0) {
                    fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" appears more than once")
                                                                .arg(toQString(member.name, member.length).left(64)));
                    return;
                }
            }
            m_members[m_count++] = member;
        }
    }

    bool ok() const { return !m_error.has_value(); }
    ProtocolError error() const { return *m_error; }
    void fail(ProtocolErrorCode code, const QString &message)
    {
        if (!m_error)
            m_error = ProtocolError{code, m_context.isEmpty() ? message : m_context + QStringLiteral(": ") + message,
                                    {}, {}};
    }
    // A message's Reader is made before its type is known (the type is one of its fields).
    void setContext(QLatin1StringView context) { m_context = context; }

    // The field's value, or null when it is missing or null.
    template<std::size_t N>
    const V *find(const char (&key)[N]) const
    {
        for (unsigned i = 0; i < m_count; ++i) {
            const Member &m = m_members[i];
            if (json::equalsAscii(m.name, qsizetype(m.length), key, qsizetype(N - 1)))
                return m.value->IsNull() ? nullptr : m.value;
        }
        return nullptr;
    }
    template<std::size_t N>
    bool has(const char (&key)[N]) const { return find(key) != nullptr; }

    template<std::size_t N>
    QString string(const char (&key)[N], bool required = true, qsizetype maxLength = -1)
    {
        const V *v = present(key, required);
        if (!v)
            return {};
        QString s;
        if (!v->IsString()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be a string").arg(QLatin1StringView(key)));
            return {};
        }
        if (!json::string(*v, s)) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" holds a lone surrogate").arg(QLatin1StringView(key)));
            return {};
        }
        if (maxLength >= 0 && s.size() > maxLength) {
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\" is longer than %2 characters").arg(QLatin1StringView(key)).arg(maxLength));
            return {};
        }
        return s;
    }

    template<std::size_t N>
    std::optional<qint64> integer(const char (&key)[N], qint64 min, qint64 max, bool required = true)
    {
        const V *v = present(key, required);
        if (!v)
            return std::nullopt;
        const std::optional<qint64> n = json::integer(*v, min, max);
        if (!n)
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\" must be an integer in [%2, %3]").arg(QLatin1StringView(key)).arg(min).arg(max));
        return n;
    }

    template<std::size_t N>
    bool boolean(const char (&key)[N], bool required = true, bool fallback = false)
    {
        const V *v = present(key, required);
        if (!v)
            return fallback;
        if (!v->IsBool()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be a boolean").arg(QLatin1StringView(key)));
            return fallback;
        }
        return v->GetBool();
    }

    QString docId() { return docId("doc"); }
    template<std::size_t N>
    QString docId(const char (&key)[N], bool required = true)
    {
        const QString id = string(key, required, 1024);
        if (ok() && (required || !id.isNull()) && !isValidDocumentId(id))
            fail(ProtocolErrorCode::InvalidDocumentId,
                 QStringLiteral("field \"%1\" is not a valid document id (allowed: [A-Za-z0-9._-]{1,64}, no leading dot)")
                     .arg(QLatin1StringView(key)));
        return id;
    }

    template<std::size_t N>
    TextOperation operation(const char (&key)[N])
    {
        const V *v = present(key, true);
        if (!v)
            return {};
        if (!v->IsArray()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be an array").arg(QLatin1StringView(key)));
            return {};
        }
        Expected<TextOperation> op = json::operation(*v);
        if (!op) {
            fail(ProtocolErrorCode::InvalidOperation,
                 QStringLiteral("field \"%1\": %2").arg(QLatin1StringView(key), op.error().message));
            return {};
        }
        return std::move(op).value();
    }

    template<std::size_t N>
    std::optional<Selection> selection(const char (&key)[N], bool required)
    {
        const V *v = present(key, required);
        if (!v)
            return std::nullopt;
        Expected<Selection> s = json::selection(*v);
        if (!s) {
            fail(ProtocolErrorCode::InvalidMessage,
                 QStringLiteral("field \"%1\": %2").arg(QLatin1StringView(key), s.error().message));
            return std::nullopt;
        }
        return std::move(s).value();
    }

    // An array field's elements, each read by `read` (a ProtocolResult); stops at the first error.
    template<typename T, std::size_t N, typename Read>
    QList<T> list(const char (&key)[N], bool required, Read read)
    {
        QList<T> out;
        const V *v = present(key, required);
        if (!v)
            return out;
        if (!v->IsArray()) {
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"%1\" must be an array").arg(QLatin1StringView(key)));
            return out;
        }
        out.reserve(qsizetype(v->Size()));
        for (const V &e : v->GetArray()) {
            ProtocolResult<T> item = read(e);
            if (!item) {
                fail(item.error().code, item.error().message);
                break;
            }
            out.append(std::move(item).value());
        }
        return out;
    }

private:
    template<std::size_t N>
    const V *present(const char (&key)[N], bool required)
    {
        if (!ok())
            return nullptr;
        const V *v = find(key);
        if (!v && required)
            fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"%1\"").arg(QLatin1StringView(key)));
        return v;
    }

    struct Member
    {
        const Unit *name;
        rapidjson::SizeType length;
        const V *value;
    };
    Member m_members[MaxFields];
    unsigned m_count = 0;
    QLatin1StringView m_context;
    std::optional<ProtocolError> m_error;
};

template<typename V, typename T>
ProtocolResult<T> finish(const Reader<V> &r, T &&value)
{
    if (!r.ok())
        return r.error();
    return std::forward<T>(value);
}

template<typename V>
ProtocolResult<Participant> readParticipant(const V &v)
{
    if (!v.IsObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("participant must be an object"), {}, {}};
    Reader r(&v, QLatin1StringView("participant"));
    Participant p;
    p.connectionId = r.string("connectionId");
    p.clientId = r.string("clientId");
    p.user = r.string("user", false);
    p.name = r.string("name", false);
    p.color = r.string("color", false);
    p.selection = r.selection("selection", false).value_or(Selection());
    p.idle = r.boolean("idle", false);
    p.readOnly = r.boolean("readOnly", false);
    return finish(r, std::move(p));
}

template<typename V>
ProtocolResult<DocumentInfo> readDocumentInfo(const V &v)
{
    if (!v.IsObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("document entry must be an object"), {}, {}};
    Reader r(&v, QLatin1StringView("documents"));
    DocumentInfo d;
    d.id = r.string("id");
    d.name = r.string("name", false);
    d.revision = toRevision(r.integer("revision", 0, INT_MAX));
    d.participants = int(r.integer("participants", 0, INT_MAX, false).value_or(0));
    d.length = r.integer("length", 0, MaxSequence, false).value_or(-1);
    d.modified = r.integer("modified", 0, MaxSequence, false).value_or(0);
    d.people = r.template list<QString>("people", false, [](const V &e) -> ProtocolResult<QString> {
        QString name;
        if (!e.IsString() || !json::string(e, name))
            return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("people must hold strings"), {}, {}};
        return name;
    });
    d.role = r.string("role", false, 16);
    return finish(r, std::move(d));
}

template<typename V>
ProtocolResult<CommittedOperation> readCommittedOperation(const V &v)
{
    if (!v.IsObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("ops entry must be an object"), {}, {}};
    Reader r(&v, QLatin1StringView("ops"));
    CommittedOperation c;
    c.revision = toRevision(r.integer("rev", 1, INT_MAX));
    c.operation = r.operation("op");
    c.author = r.string("author", false);
    c.sequence = r.integer("seq", 0, MaxSequence, false).value_or(0);
    return finish(r, std::move(c));
}

template<typename V>
ProtocolResult<Author> readAuthor(const V &v)
{
    if (!v.IsObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("author must be an object"), {}, {}};
    Reader r(&v, QLatin1StringView("authors"));
    Author a;
    a.user = r.string("user", false);
    a.name = r.string("name", false);
    a.color = r.string("color", false);
    return finish(r, std::move(a));
}

template<typename V>
ProtocolResult<EditSession> readEditSession(const V &v)
{
    if (!v.IsObject())
        return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("session must be an object"), {}, {}};
    Reader r(&v, QLatin1StringView("sessions"));
    EditSession s;
    s.user = r.string("user", false);
    s.name = r.string("name", false);
    s.color = r.string("color", false);
    s.from = toRevision(r.integer("from", 1, INT_MAX));
    s.to = toRevision(r.integer("to", 1, INT_MAX));
    s.start = r.integer("start", 0, MaxSequence, false).value_or(0);
    s.end = r.integer("end", 0, MaxSequence, false).value_or(0);
    s.inserted = r.integer("inserted", 0, MaxSequence, false).value_or(0);
    s.deleted = r.integer("deleted", 0, MaxSequence, false).value_or(0);
    s.operations = int(r.integer("operations", 0, INT_MAX, false).value_or(0));
    return finish(r, std::move(s));
}

// A whole value read from bytes by `read` (for the value types' own fromJson functions).
template<typename T, typename Read>
ProtocolResult<T> readBytes(const QByteArray &bytes, Read read)
{
    json::Document document;
    if (std::optional<QString> broken = document.parse(bytes))
        return ProtocolError{ProtocolErrorCode::MalformedJson, *broken, {}, {}};
    return read(document.root());
}


// The frame's type, and (only when something is wrong) its request id or reply's ref and its document, read
// best effort so that even a rejected message's error can be correlated.
template<typename V>
struct Envelope
{
    const V *root = nullptr;
    bool request = false;
    // The type as bytes, for comparing with names: ASCII (no type is anything else), narrowed from UTF-16.
    QByteArrayView type;
    char narrowed[16];

    ProtocolError correlated(ProtocolError error) const
    {
        const auto stringMember = [this](const char *key, QString &out) {
            const V *m = json::member(*root, key);
            return m && json::string(*m, out);
        };
        QString ref;
        if (stringMember(request ? "id" : "ref", ref) && (!request || ref.size() <= MaxIdLength))
            error.ref = ref;
        QString doc;
        if (stringMember("doc", doc) && isValidDocumentId(doc))
            error.doc = doc;
        return error;
    }
};

// The envelope of the frame whose top-level object `r` reads; on success `r` is named after the type.
template<typename V>
std::optional<ProtocolError> readEnvelope(const V &root, Reader<V> &r, bool request, Envelope<V> &e)
{
    if (!root.IsObject())
        return ProtocolError{ProtocolErrorCode::MalformedJson, QStringLiteral("a message must be a JSON object"), {}, {}};
    e.root = &root;
    e.request = request;
    if (!r.ok())
        return e.correlated(r.error());
    const V *type = r.find("type");
    if (!type)
        return e.correlated({ProtocolErrorCode::InvalidMessage, QStringLiteral("missing field \"type\""), {}, {}});
    if (!type->IsString())
        return e.correlated({ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"type\" must be a string"), {}, {}});
    const auto *name = type->GetString();
    const qsizetype length = qsizetype(type->GetStringLength());
    if constexpr (sizeof(*name) == 1) {
        e.type = QByteArrayView(name, length);
    } else {
        // A longer or non-ASCII name is no type: it stays empty and is reported as unknown.
        if (length <= qsizetype(sizeof e.narrowed)
            && std::all_of(name, name + length, [](char16_t u) { return u < 0x80; })) {
            std::copy(name, name + length, e.narrowed);
            e.type = QByteArrayView(e.narrowed, length);
        }
    }
    r.setContext(QLatin1StringView(e.type.data(), std::min<qsizetype>(e.type.size(), 64)));
    return std::nullopt;
}

template<typename Variant, typename V, typename M>
ProtocolResult<Variant> wrap(const Reader<V> &r, const Envelope<V> &e, M &&m)
{
    if (!r.ok())
        return e.correlated(r.error());
    return Variant(std::forward<M>(m));
}

template<typename V>
ProtocolError unknownType(const Envelope<V> &e)
{
    const V *type = json::member(*e.root, "type");
    return e.correlated({ProtocolErrorCode::UnknownType,
                         QStringLiteral("unknown message type \"%1\"")
                             .arg(toQString(type->GetString(), qsizetype(type->GetStringLength())).left(64)),
                         {}, {}});
}

// ---- writing ----------------------------------------------------------------------------------------------
// Keys go in sorted order (as QJsonObject would write them), so equal messages give equal bytes.

template<typename W>
void writeSelection(W &w, const Selection &selection)
{
    w.beginObject().key("ranges").beginArray();
    for (const Selection::Range &r : selection.ranges())
        w.beginObject().key("anchor").value(qint64(r.anchor)).key("head").value(qint64(r.head)).endObject();
    w.endArray().endObject();
}

template<typename W>
void writeParticipant(W &w, const Participant &p)
{
    w.beginObject().key("clientId").value(p.clientId).key("color").value(p.color);
    w.key("connectionId").value(p.connectionId).key("idle").value(p.idle).key("name").value(p.name);
    w.key("readOnly").value(p.readOnly);
    writeSelection(w.key("selection"), p.selection);
    w.key("user").value(p.user).endObject();
}

template<typename W>
void optionalString(W &w, const char *key, const QString &value)
{
    if (!value.isEmpty())
        w.key(key).value(value);
}

template<typename W>
void optionalNumber(W &w, const char *key, qint64 value)
{
    if (value > 0)
        w.key(key).value(value);
}

template<typename W>
void finish(W &w, const char16_t *type)
{
    w.key("type").value(type).endObject();
}

} // namespace

qsizetype utf8Size(QStringView text)
{
    qsizetype bytes = text.size();
    const char16_t *p = text.utf16();
    const char16_t *end = p + text.size();
    for (; p < end; ++p) {
        const char16_t u = *p;
        if (u < 0x80)
            continue;
        if (u < 0x800) {
            bytes += 1;
        } else if (QChar::isHighSurrogate(u) && p + 1 < end && QChar::isLowSurrogate(p[1])) {
            bytes += 2; // two units, four bytes
            ++p;
        } else {
            bytes += 2;
        }
    }
    return bytes;
}

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

QString documentIdForTitle(QStringView title)
{
    const QString decomposed = title.toString().normalized(QString::NormalizationForm_KD);
    QString id;
    bool dash = false;
    for (QChar ch : decomposed) {
        const char16_t c = ch.unicode();
        if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'.' || c == u'_') {
            const bool separate = dash && !id.isEmpty();
            if (id.size() + (separate ? 2 : 1) > 48)
                break;
            if (separate)
                id += u'-';
            dash = false;
            id += ch;
        } else if (ch.category() != QChar::Mark_NonSpacing) {
            dash = true; // a space, a punctuation mark, a letter with no ASCII form: one '-' for the whole run
        }
    }
    while (id.startsWith(u'.'))
        id.remove(0, 1);
    while (id.endsWith(u'.'))
        id.chop(1);
    if (id.isEmpty())
        id = QStringLiteral("doc-")
             + QString::fromLatin1(QCryptographicHash::hash(title.toUtf8(), QCryptographicHash::Sha256).toHex().left(8));
    return id;
}

// ---- shared value types ----------------------------------------------------------------------------------

QByteArray Participant::toJsonBytes() const
{
    JsonWriter w;
    writeParticipant(w, *this);
    return std::move(w).result();
}

ProtocolResult<Participant> Participant::fromJsonBytes(const QByteArray &json)
{
    return readBytes<Participant>(json, readParticipant<json::Value>);
}

ProtocolResult<CommittedOperation> CommittedOperation::fromJsonBytes(const QByteArray &json)
{
    return readBytes<CommittedOperation>(json, readCommittedOperation<json::Value>);
}

QString Message::Hello::newSecret()
{
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
}

Message::Error Message::Error::from(const ProtocolError &e)
{
    return Error{e.code, e.message, e.ref, e.doc, std::nullopt};
}

// ---- encoders ------------------------------------------------------------------------------------------

namespace {

template<typename W>
void write(W &w, const Message::Hello &m)
{
    w.beginObject().key("clientId").value(m.clientId).key("color").value(m.color).key("name").value(m.name);
    w.key("protocol").value(m.protocol).key("secret").value(m.secret);
    if (m.token)
        w.key("token").value(*m.token);
    finish(w, u"hello");
}

template<typename W>
void write(W &w, const Message::List &m)
{
    w.beginObject();
    optionalString(w, "id", m.id);
    finish(w, u"list");
}

template<typename W>
void write(W &w, const Message::Create &m)
{
    w.beginObject();
    optionalString(w, "doc", m.doc);
    optionalString(w, "id", m.id);
    optionalString(w, "name", m.name);
    finish(w, u"create");
}

template<typename W>
void write(W &w, const Message::Rename &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    w.key("name").value(m.name);
    finish(w, u"rename");
}

template<typename W>
void write(W &w, const Message::Delete &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    finish(w, u"delete");
}

template<typename W>
void write(W &w, const Message::Open &m)
{
    w.beginObject();
    if (m.create)
        w.key("create").value(true);
    w.key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    optionalString(w, "name", m.name);
    if (m.pending)
        w.key("pending").value(true);
    if (m.revision)
        w.key("revision").value(*m.revision);
    finish(w, u"open");
}

template<typename W>
void write(W &w, const Message::Close &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    finish(w, u"close");
}

template<typename W>
void write(W &w, const Message::Op &m)
{
    w.beginObject().key("doc").value(m.doc).key("op");
    m.operation.writeJson(w);
    w.key("rev").value(m.revision);
    if (m.selection)
        writeSelection(w.key("selection"), *m.selection);
    w.key("seq").value(m.sequence);
    finish(w, u"op");
}

template<typename W>
void write(W &w, const Message::SetSelection &m)
{
    w.beginObject().key("doc").value(m.doc).key("rev").value(m.revision);
    writeSelection(w.key("selection"), m.selection);
    finish(w, u"selection");
}

template<typename W>
void write(W &w, const Message::SetIdle &m)
{
    w.beginObject().key("doc").value(m.doc).key("idle").value(m.idle);
    finish(w, u"idle");
}

template<typename W>
void write(W &w, const Message::Welcome &m)
{
    w.beginObject().key("connectionId").value(m.connectionId);
    optionalNumber(w, "heartbeatSeconds", m.heartbeatSeconds);
    if (m.maxMessageBytes > 0 || m.maxDocumentBytes > 0 || m.opsPerSecond > 0 || m.burst > 0
        || m.maxOperationComponents > 0 || m.maxSelectionRanges > 0 || m.maxOperationLag > 0) {
        w.key("limits").beginObject();
        optionalNumber(w, "burst", m.burst);
        optionalNumber(w, "maxDocumentBytes", m.maxDocumentBytes);
        optionalNumber(w, "maxMessageBytes", m.maxMessageBytes);
        optionalNumber(w, "maxOperationComponents", m.maxOperationComponents);
        optionalNumber(w, "maxOperationLag", m.maxOperationLag);
        optionalNumber(w, "maxSelectionRanges", m.maxSelectionRanges);
        optionalNumber(w, "opsPerSecond", m.opsPerSecond);
        w.endObject();
    }
    w.key("protocol").value(m.protocol).key("server").value(m.server);
    w.key("type").value(u"welcome").key("user").value(m.user).endObject();
}

template<typename W>
void write(W &w, const Message::Documents &m)
{
    w.beginObject().key("documents").beginArray();
    for (const DocumentInfo &d : m.documents) {
        w.beginObject().key("id").value(d.id);
        if (d.length >= 0)
            w.key("length").value(d.length);
        if (d.modified > 0)
            w.key("modified").value(d.modified);
        w.key("name").value(d.name).key("participants").value(d.participants);
        if (!d.people.isEmpty()) {
            w.key("people").beginArray();
            for (const QString &name : d.people)
                w.value(name);
            w.endArray();
        }
        w.key("revision").value(d.revision);
        optionalString(w, "role", d.role);
        w.endObject();
    }
    w.endArray();
    optionalString(w, "ref", m.ref);
    finish(w, u"documents");
}

qsizetype reserveFor(const Message::Documents &m)
{
    return 256 + 96 * m.documents.size();
}

template<typename W>
void write(W &w, const Message::Created &m)
{
    w.beginObject().key("doc").value(m.doc).key("name").value(m.name);
    optionalString(w, "ref", m.ref);
    finish(w, u"created");
}

template<typename W>
void write(W &w, const Message::Renamed &m)
{
    w.beginObject().key("doc").value(m.doc).key("name").value(m.name);
    optionalString(w, "ref", m.ref);
    finish(w, u"renamed");
}

template<typename W>
void write(W &w, const Message::Deleted &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "ref", m.ref);
    finish(w, u"deleted");
}

template<typename W>
void write(W &w, const Message::Opened &m)
{
    w.beginObject().key("doc").value(m.doc);
    if (m.more)
        w.key("more").value(true);
    w.key("name").value(m.name);
    if (m.ops) {
        w.key("ops").beginArray();
        for (const CommittedOperation &c : *m.ops) {
            w.beginObject().key("author").value(c.author).key("op");
            c.operation.writeJson(w);
            w.key("rev").value(c.revision).key("seq").value(c.sequence).endObject();
        }
        w.endArray();
    }
    w.key("participants").beginArray();
    for (const Participant &p : m.participants)
        writeParticipant(w, p);
    w.endArray();
    optionalString(w, "ref", m.ref);
    w.key("revision").value(m.revision).key("role").value(roleName(m.role));
    if (m.snapshot)
        w.key("snapshot").value(*m.snapshot);
    finish(w, u"opened");
}

qsizetype reserveFor(const Message::Opened &m)
{
    return 256 + (m.snapshot ? m.snapshot->size() + m.snapshot->size() / 2 : 0);
}

template<typename W>
void write(W &w, const Message::Closed &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "ref", m.ref);
    finish(w, u"closed");
}

template<typename W>
void write(W &w, const Message::Join &m)
{
    w.beginObject().key("doc").value(m.doc).key("participant");
    writeParticipant(w, m.participant);
    finish(w, u"join");
}

template<typename W>
void write(W &w, const Message::Leave &m)
{
    w.beginObject().key("connectionId").value(m.connectionId).key("doc").value(m.doc);
    finish(w, u"leave");
}

template<typename W>
void write(W &w, const Message::Ack &m)
{
    w.beginObject().key("doc").value(m.doc).key("rev").value(m.revision).key("seq").value(m.sequence);
    finish(w, u"ack");
}

template<typename W>
void write(W &w, const Message::RemoteOp &m)
{
    w.beginObject().key("author").value(m.author).key("connectionId").value(m.connectionId);
    w.key("doc").value(m.doc).key("op");
    m.operation.writeJson(w);
    w.key("rev").value(m.revision);
    if (m.selection)
        writeSelection(w.key("selection"), *m.selection);
    w.key("seq").value(m.sequence);
    finish(w, u"op");
}

template<typename W>
void write(W &w, const Message::SelectionChanged &m)
{
    w.beginObject().key("connectionId").value(m.connectionId).key("doc").value(m.doc).key("rev").value(m.revision);
    writeSelection(w.key("selection"), m.selection);
    finish(w, u"selection");
}

template<typename W>
void write(W &w, const Message::IdleChanged &m)
{
    w.beginObject().key("connectionId").value(m.connectionId).key("doc").value(m.doc).key("idle").value(m.idle);
    finish(w, u"idle");
}

template<typename W>
void write(W &w, const Message::Error &m)
{
    w.beginObject().key("code").value(protocolErrorName(m.code));
    optionalString(w, "doc", m.doc);
    w.key("message").value(m.message);
    optionalString(w, "ref", m.ref);
    if (m.retryAfterMs)
        w.key("retryAfterMs").value(*m.retryAfterMs);
    finish(w, u"error");
}


template<typename W>
void write(W &w, const Message::History &m)
{
    w.beginObject();
    optionalNumber(w, "before", m.before);
    w.key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    w.key("limit").value(m.limit);
    finish(w, u"history");
}

template<typename W>
void write(W &w, const Message::GetRevision &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    w.key("revision").value(m.revision);
    finish(w, u"revision");
}

template<typename W>
void write(W &w, const Message::HistoryPage &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalNumber(w, "next", m.next);
    optionalString(w, "ref", m.ref);
    w.key("revision").value(m.revision).key("sessions").beginArray();
    for (const EditSession &e : m.sessions) {
        w.beginObject().key("color").value(e.color).key("deleted").value(e.deleted).key("end").value(e.end);
        w.key("from").value(e.from).key("inserted").value(e.inserted).key("name").value(e.name);
        w.key("operations").value(e.operations).key("start").value(e.start).key("to").value(e.to);
        w.key("user").value(e.user).endObject();
    }
    w.endArray();
    finish(w, u"history");
}

qsizetype reserveFor(const Message::HistoryPage &m)
{
    return 128 + 192 * m.sessions.size();
}

template<typename W>
void write(W &w, const Message::RevisionText &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "ref", m.ref);
    w.key("revision").value(m.revision).key("text").value(m.text);
    finish(w, u"revision");
}

qsizetype reserveFor(const Message::RevisionText &m)
{
    return 128 + m.text.size() + m.text.size() / 2;
}

template<typename W>
void writeAuthors(W &w, const QList<Author> &authors)
{
    w.beginArray();
    for (const Author &a : authors)
        w.beginObject().key("color").value(a.color).key("name").value(a.name).key("user").value(a.user).endObject();
    w.endArray();
}

template<typename W>
void write(W &w, const Message::GetDiff &m)
{
    w.beginObject().key("doc").value(m.doc).key("from").value(m.from);
    optionalString(w, "id", m.id);
    w.key("to").value(m.to);
    finish(w, u"diff");
}

template<typename W>
void write(W &w, const Message::GetAuthors &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    finish(w, u"authors");
}

template<typename W>
void write(W &w, const Message::Diff &m)
{
    w.beginObject();
    if (!m.authors.isEmpty())
        writeAuthors(w.key("authors"), m.authors);
    if (m.charged > 1)
        w.key("charged").value(m.charged);
    w.key("doc").value(m.doc).key("from").value(m.from).key("op");
    m.operation.writeJson(w);
    optionalString(w, "ref", m.ref);
    w.key("to").value(m.to);
    finish(w, u"diff");
}

qsizetype reserveFor(const Message::Diff &m)
{
    return 256 + 16 * qsizetype(m.operation.components().size()) + 2 * m.operation.targetLength();
}

template<typename W>
void write(W &w, const Message::Authors &m)
{
    writeAuthors(w.beginObject().key("authors"), m.authors);
    w.key("doc").value(m.doc);
    optionalString(w, "ref", m.ref);
    w.key("revision").value(m.revision).key("runs").beginArray();
    for (const AuthorRun &r : m.runs)
        w.beginArray().value(r.length).value(r.author).endArray();
    w.endArray();
    finish(w, u"authors");
}

qsizetype reserveFor(const Message::Authors &m)
{
    return 256 + 96 * m.authors.size() + 16 * m.runs.size();
}

template<typename W>
void write(W &w, const Message::Versions &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "id", m.id);
    optionalString(w, "name", m.name);
    if (m.remove)
        w.key("remove").value(true);
    if (m.revision)
        w.key("revision").value(*m.revision);
    if (m.save)
        w.key("save").value(true);
    finish(w, u"versions");
}

template<typename W>
void write(W &w, const Message::VersionList &m)
{
    w.beginObject().key("doc").value(m.doc);
    optionalString(w, "ref", m.ref);
    w.key("versions").beginArray();
    for (const Message::Version &v : m.versions)
        w.beginObject().key("created").value(v.created).key("name").value(v.name).key("revision").value(v.revision)
                .key("user").value(v.user).endObject();
    w.endArray();
    finish(w, u"versions");
}

// Each message is written by one function template above, in both forms.
template<typename M>
qsizetype reserveFor(const M &)
{
    return 0;
}

} // namespace

#define COLLAB_MESSAGE_ENCODERS(M)                                                                              \
    QByteArray Message::encode(const M &m)                                                                      \
    {                                                                                                           \
        JsonWriter w(reserveFor(m));                                                                            \
        write(w, m);                                                                                            \
        return std::move(w).result();                                                                           \
    }                                                                                                           \
    QString Message::encodeText(const M &m)                                                                     \
    {                                                                                                           \
        TextJsonWriter w(reserveFor(m));                                                                        \
        write(w, m);                                                                                            \
        return std::move(w).result();                                                                           \
    }
COLLAB_MESSAGE_ENCODERS(Hello)
COLLAB_MESSAGE_ENCODERS(List)
COLLAB_MESSAGE_ENCODERS(Create)
COLLAB_MESSAGE_ENCODERS(Rename)
COLLAB_MESSAGE_ENCODERS(Delete)
COLLAB_MESSAGE_ENCODERS(Open)
COLLAB_MESSAGE_ENCODERS(Close)
COLLAB_MESSAGE_ENCODERS(Op)
COLLAB_MESSAGE_ENCODERS(SetSelection)
COLLAB_MESSAGE_ENCODERS(SetIdle)
COLLAB_MESSAGE_ENCODERS(Welcome)
COLLAB_MESSAGE_ENCODERS(Documents)
COLLAB_MESSAGE_ENCODERS(Created)
COLLAB_MESSAGE_ENCODERS(Renamed)
COLLAB_MESSAGE_ENCODERS(Deleted)
COLLAB_MESSAGE_ENCODERS(Opened)
COLLAB_MESSAGE_ENCODERS(Closed)
COLLAB_MESSAGE_ENCODERS(Join)
COLLAB_MESSAGE_ENCODERS(Leave)
COLLAB_MESSAGE_ENCODERS(Ack)
COLLAB_MESSAGE_ENCODERS(RemoteOp)
COLLAB_MESSAGE_ENCODERS(SelectionChanged)
COLLAB_MESSAGE_ENCODERS(IdleChanged)
COLLAB_MESSAGE_ENCODERS(Error)
COLLAB_MESSAGE_ENCODERS(History)
COLLAB_MESSAGE_ENCODERS(GetRevision)
COLLAB_MESSAGE_ENCODERS(HistoryPage)
COLLAB_MESSAGE_ENCODERS(RevisionText)
COLLAB_MESSAGE_ENCODERS(GetDiff)
COLLAB_MESSAGE_ENCODERS(GetAuthors)
COLLAB_MESSAGE_ENCODERS(Diff)
COLLAB_MESSAGE_ENCODERS(Authors)
COLLAB_MESSAGE_ENCODERS(Versions)
COLLAB_MESSAGE_ENCODERS(VersionList)
#undef COLLAB_MESSAGE_ENCODERS

QByteArray Message::encode(const Client &message)
{
    return std::visit([](const auto &m) { return Message::encode(m); }, message);
}

QByteArray Message::encode(const Server &message)
{
    return std::visit([](const auto &m) { return Message::encode(m); }, message);
}

QString Message::encodeText(const Client &message)
{
    return std::visit([](const auto &m) { return Message::encodeText(m); }, message);
}

QString Message::encodeText(const Server &message)
{
    return std::visit([](const auto &m) { return Message::encodeText(m); }, message);
}

// ---- decoders ------------------------------------------------------------------------------------------

ProtocolResult<Message::Client> Message::decodeClient(const QByteArray &frame)
{
    return decodeClientFrame<json::Document>(QByteArrayView(frame));
}

ProtocolResult<Message::Client> Message::decodeClient(QStringView frame)
{
    return decodeClientFrame<json::TextDocument>(frame);
}

template<typename Document, typename Input>
ProtocolResult<Message::Client> Message::decodeClientFrame(Input frame)
{
    Document document;
    if (std::optional<QString> broken = document.parse(frame))
        return ProtocolError{ProtocolErrorCode::MalformedJson, *broken, {}, {}};
    Reader r(&document.root(), QLatin1StringView());
    Envelope<std::decay_t<decltype(document.root())>> e;
    if (std::optional<ProtocolError> broken = readEnvelope(document.root(), r, true, e))
        return *broken;
    using V = Client;
    const QByteArrayView type = e.type;

    // The per-keystroke messages first.
    if (type == "op") {
        Op m;
        m.doc = r.docId();
        m.revision = toRevision(r.integer("rev", 0, INT_MAX));
        m.sequence = r.integer("seq", 1, MaxSequence).value_or(0);
        m.operation = r.operation("op");
        m.selection = r.selection("selection", false);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "selection") {
        SetSelection m;
        m.doc = r.docId();
        m.revision = toRevision(r.integer("rev", 0, INT_MAX));
        m.selection = r.selection("selection", true).value_or(Selection());
        return wrap<V>(r, e, std::move(m));
    }
    // Every request may carry an id; a non-string one is an error rather than silently dropped.
    const QString id = r.string("id", false, MaxIdLength);
    if (type == "hello") {
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
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "list")
        return wrap<V>(r, e, List{id});
    if (type == "create") {
        Create m;
        m.id = id;
        if (r.has("doc"))
            m.doc = r.docId("doc");
        m.name = r.string("name", false, 256);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "rename") {
        Rename m;
        m.id = id;
        m.doc = r.docId();
        m.name = r.string("name", true, 256);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "delete") {
        Delete m{id, r.docId()};
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "open") {
        Open m;
        m.id = id;
        m.doc = r.docId();
        if (std::optional<qint64> rev = r.integer("revision", 0, INT_MAX, false))
            m.revision = int(*rev);
        m.create = r.boolean("create", false, false);
        m.pending = r.boolean("pending", false, false);
        m.name = r.string("name", false, 256);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "close") {
        Close m{id, r.docId()};
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "idle") {
        SetIdle m;
        m.doc = r.docId();
        m.idle = r.boolean("idle");
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "history") {
        History m;
        m.id = id;
        m.doc = r.docId();
        m.before = int(r.integer("before", 0, INT_MAX, false).value_or(0));
        m.limit = int(r.integer("limit", 1, MaxHistoryLimit, false).value_or(50));
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "revision") {
        GetRevision m;
        m.id = id;
        m.doc = r.docId();
        m.revision = int(r.integer("revision", 0, INT_MAX).value_or(0));
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "diff") {
        GetDiff m;
        m.id = id;
        m.doc = r.docId();
        m.from = int(r.integer("from", 0, INT_MAX).value_or(0));
        m.to = int(r.integer("to", 0, INT_MAX).value_or(0));
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "authors") {
        GetAuthors m;
        m.id = id;
        m.doc = r.docId();
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "versions") {
        Versions m;
        m.id = id;
        m.doc = r.docId();
        m.save = r.boolean("save", false, false);
        m.remove = r.boolean("remove", false, false);
        m.name = r.string("name", m.save || m.remove, 256);
        if (std::optional<qint64> revision = r.integer("revision", 0, INT_MAX, false))
            m.revision = int(*revision);
        if (r.ok() && m.save && m.remove)
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("\"save\" and \"remove\" together"));
        if (r.ok() && (m.save || m.remove) && m.name.trimmed().isEmpty())
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("field \"name\" must not be empty"));
        return wrap<V>(r, e, std::move(m));
    }
    if (!r.ok())
        return wrap<V>(r, e, List{});
    return unknownType(e);
}

ProtocolResult<Message::Server> Message::decodeServer(const QByteArray &frame)
{
    return decodeServerFrame<json::Document>(QByteArrayView(frame));
}

ProtocolResult<Message::Server> Message::decodeServer(QStringView frame)
{
    return decodeServerFrame<json::TextDocument>(frame);
}

template<typename Document, typename Input>
ProtocolResult<Message::Server> Message::decodeServerFrame(Input frame)
{
    Document document;
    if (std::optional<QString> broken = document.parse(frame))
        return ProtocolError{ProtocolErrorCode::MalformedJson, *broken, {}, {}};
    using Value = std::decay_t<decltype(document.root())>;
    Reader r(&document.root(), QLatin1StringView());
    Envelope<Value> e;
    if (std::optional<ProtocolError> broken = readEnvelope(document.root(), r, false, e))
        return *broken;
    using V = Server;
    const QByteArrayView type = e.type;

    // The per-keystroke messages first.
    if (type == "op") {
        RemoteOp m;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("rev", 1, INT_MAX));
        m.operation = r.operation("op");
        m.author = r.string("author", false);
        m.sequence = r.integer("seq", 0, MaxSequence, false).value_or(0);
        m.connectionId = r.string("connectionId", false);
        m.selection = r.selection("selection", false);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "ack") {
        Ack m;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("rev", 1, INT_MAX));
        m.sequence = r.integer("seq", 0, MaxSequence).value_or(0);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "selection") {
        SelectionChanged m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        m.revision = toRevision(r.integer("rev", 0, INT_MAX, false));
        m.selection = r.selection("selection", true).value_or(Selection());
        return wrap<V>(r, e, std::move(m));
    }
    const QString ref = r.string("ref", false);
    if (type == "welcome") {
        Welcome m;
        m.protocol = int(r.integer("protocol", 0, INT_MAX).value_or(0));
        m.server = r.string("server", false);
        m.user = r.string("user", false);
        m.connectionId = r.string("connectionId");
        m.heartbeatSeconds = int(r.integer("heartbeatSeconds", 0, INT_MAX, false).value_or(0));
        Reader<Value> lr(r.find("limits"), QLatin1StringView("welcome.limits"));
        m.maxMessageBytes = lr.integer("maxMessageBytes", 0, MaxSequence, false).value_or(0);
        m.maxDocumentBytes = lr.integer("maxDocumentBytes", 0, MaxSequence, false).value_or(0);
        m.opsPerSecond = int(lr.integer("opsPerSecond", 0, INT_MAX, false).value_or(0));
        m.burst = int(lr.integer("burst", 0, INT_MAX, false).value_or(0));
        m.maxOperationComponents = int(lr.integer("maxOperationComponents", 0, INT_MAX, false).value_or(0));
        m.maxSelectionRanges = int(lr.integer("maxSelectionRanges", 0, INT_MAX, false).value_or(0));
        m.maxOperationLag = int(lr.integer("maxOperationLag", 0, INT_MAX, false).value_or(0));
        if (!lr.ok())
            r.fail(lr.error().code, lr.error().message);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "documents") {
        Documents m;
        m.ref = ref;
        m.documents = r.template list<DocumentInfo>("documents", true, readDocumentInfo<Value>);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "created" || type == "renamed") {
        const QString doc = r.string("doc");
        const QString name = r.string("name", false);
        if (type == "created")
            return wrap<V>(r, e, Created{ref, doc, name});
        return wrap<V>(r, e, Renamed{ref, doc, name});
    }
    if (type == "deleted") {
        const QString doc = r.string("doc");
        return wrap<V>(r, e, Deleted{ref, doc});
    }
    if (type == "closed") {
        const QString doc = r.string("doc");
        return wrap<V>(r, e, Closed{ref, doc});
    }
    if (type == "opened") {
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
        if (r.has("ops"))
            m.ops = r.template list<CommittedOperation>("ops", true, readCommittedOperation<Value>);
        m.more = r.boolean("more", false);
        m.participants = r.template list<Participant>("participants", false, readParticipant<Value>);
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "join") {
        Join m;
        m.doc = r.string("doc");
        if (const Value *p = r.find("participant")) {
            ProtocolResult<Participant> participant = readParticipant(*p);
            if (participant)
                m.participant = std::move(participant).value();
            else
                r.fail(participant.error().code, participant.error().message);
        } else if (r.ok()) {
            r.fail(ProtocolErrorCode::InvalidMessage, QStringLiteral("participant must be an object"));
        }
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "leave") {
        Leave m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "idle") {
        IdleChanged m;
        m.doc = r.string("doc");
        m.connectionId = r.string("connectionId");
        m.idle = r.boolean("idle");
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "history") {
        HistoryPage m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("revision", 0, INT_MAX));
        m.sessions = r.template list<EditSession>("sessions", true, readEditSession<Value>);
        m.next = int(r.integer("next", 0, INT_MAX, false).value_or(0));
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "revision") {
        RevisionText m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("revision", 0, INT_MAX));
        m.text = r.string("text");
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "diff") {
        Diff m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.from = toRevision(r.integer("from", 0, INT_MAX));
        m.to = toRevision(r.integer("to", 0, INT_MAX));
        m.operation = r.operation("op");
        m.authors = r.template list<Author>("authors", false, readAuthor<Value>);
        m.charged = int(r.integer("charged", 0, INT_MAX, false).value_or(0));
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "versions") {
        VersionList m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.versions = r.template list<Version>("versions", true, [](const Value &v) -> ProtocolResult<Version> {
            if (!v.IsObject())
                return ProtocolError{ProtocolErrorCode::InvalidMessage, QStringLiteral("version must be an object"), {}, {}};
            Reader vr(&v, QLatin1StringView("versions"));
            Version version;
            version.name = vr.string("name");
            version.revision = toRevision(vr.integer("revision", 0, INT_MAX));
            version.user = vr.string("user", false);
            version.created = vr.integer("created", 0, MaxSequence, false).value_or(0);
            return finish(vr, std::move(version));
        });
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "authors") {
        Authors m;
        m.ref = ref;
        m.doc = r.string("doc");
        m.revision = toRevision(r.integer("revision", 0, INT_MAX));
        m.authors = r.template list<Author>("authors", true, readAuthor<Value>);
        m.runs = r.template list<AuthorRun>("runs", true, [&m](const Value &v) -> ProtocolResult<AuthorRun> {
            const auto bad = [] {
                return ProtocolError{ProtocolErrorCode::InvalidMessage,
                                     QStringLiteral("runs: each run must be [length, author index]"), {}, {}};
            };
            if (!v.IsArray() || v.Size() != 2)
                return bad();
            const std::optional<qint64> length = json::integer(v[0], 1, MaxSequence);
            const std::optional<qint64> author = json::integer(v[1], -1, qint64(m.authors.size()) - 1);
            if (!length || !author)
                return bad();
            return AuthorRun{*length, int(*author)};
        });
        return wrap<V>(r, e, std::move(m));
    }
    if (type == "error") {
        Error m;
        const QString code = r.string("code");
        m.code = protocolErrorFromName(code).value_or(ProtocolErrorCode::Unknown);
        m.message = r.string("message", false);
        m.ref = ref;
        m.doc = r.string("doc", false);
        if (std::optional<qint64> retry = r.integer("retryAfterMs", 0, INT_MAX, false))
            m.retryAfterMs = int(*retry);
        return wrap<V>(r, e, std::move(m));
    }
    if (!r.ok())
        return wrap<V>(r, e, Closed{});
    return unknownType(e);
}

} // namespace collab

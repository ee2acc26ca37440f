// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QStringView>

namespace collab {

// JsonWriter: a compact JSON writer for the hot messages (op, ack, selection), which the relay and the
// editor encode once per keystroke. Building a QJsonObject and serializing it through QJsonDocument cost
// most of a keystroke's pipeline time (bench/run-ot-vs-otjs, callgrind); writing the bytes directly does not.
//
// Output is byte-for-byte what QJsonDocument::toJson(Compact) writes for the same values: the same string
// escapes (\" \\ \b \f \n \r \t, \u00xx for other controls, \udxxx for lone surrogates, UTF-8 otherwise),
// so callers that list keys in QJsonObject's (sorted) order produce identical frames
// (tests/collab/tst_jsonwriter.cpp checks this against QJsonDocument).
//
// The caller is responsible for the structure: commas are inserted automatically between values of one
// object or array, and each key() must be followed by exactly one value.
class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 128) { m_out.reserve(reserve); }

    JsonWriter &beginObject() { separate(); m_out.append('{'); m_first = true; return *this; }
    JsonWriter &endObject() { m_out.append('}'); m_first = false; return *this; }
    JsonWriter &beginArray() { separate(); m_out.append('['); m_first = true; return *this; }
    JsonWriter &endArray() { m_out.append(']'); m_first = false; return *this; }

    JsonWriter &key(const char *latin1Key);
    JsonWriter &value(QStringView text);
    // Without this, a u"literal" would convert to bool rather than to QStringView.
    JsonWriter &value(const char16_t *text) { return value(QStringView(text)); }
    JsonWriter &value(qint64 number);
    JsonWriter &value(int number) { return value(qint64(number)); }
    JsonWriter &value(bool flag);
    // Already-encoded JSON (e.g. TextOperation::toJsonBytes()).
    JsonWriter &raw(const QByteArray &json) { separate(); m_out.append(json); return *this; }

    const QByteArray &bytes() const & { return m_out; }
    QByteArray bytes() && { return std::move(m_out); }

    static void appendString(QByteArray &out, QStringView text);

private:
    void separate()
    {
        if (m_afterKey)
            m_afterKey = false;
        else if (!m_first)
            m_out.append(',');
        m_first = false;
    }

    QByteArray m_out;
    bool m_first = true;
    bool m_afterKey = false;
};

} // namespace collab

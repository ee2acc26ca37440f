// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QStringView>

namespace collab {

// JsonWriter: a compact JSON writer for the hot messages (op, ack, selection), which the relay and the
// editor encode once per keystroke. Building a QJsonObject and serializing it through QJsonDocument cost
// most of a keystroke's pipeline time (bench/run-ot-vs-otjs, callgrind); writing the bytes directly does not.
// The bytes go straight into one buffer through a cursor (QByteArray::append(char) is an out-of-line insert
// in Qt 6.4, and QByteArray::number allocates: together they were a third of a keystroke's pipeline).
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
    // Frames up to InlineBytes are written on the stack and copied out once at their exact size; `reserve`
    // over that starts the writer on the heap.
    explicit JsonWriter(qsizetype reserve = 0);
    JsonWriter(const JsonWriter &) = delete;
    JsonWriter &operator=(const JsonWriter &) = delete;

    JsonWriter &beginObject() { separate(); put('{'); m_first = true; return *this; }
    JsonWriter &endObject() { put('}'); m_first = false; return *this; }
    JsonWriter &beginArray() { separate(); put('['); m_first = true; return *this; }
    JsonWriter &endArray() { put(']'); m_first = false; return *this; }

    JsonWriter &key(const char *latin1Key);
    JsonWriter &value(QStringView text);
    // Without this, a u"literal" would convert to bool rather than to QStringView.
    JsonWriter &value(const char16_t *text) { return value(QStringView(text)); }
    JsonWriter &value(qint64 number);
    JsonWriter &value(int number) { return value(qint64(number)); }
    JsonWriter &value(bool flag);
    // Already-encoded JSON.
    JsonWriter &raw(QByteArrayView json);

    qsizetype size() const { return qsizetype(m_pos - m_begin); }
    QByteArray bytes() const & { return QByteArray(m_begin, size()); }
    QByteArray bytes() &&;

    static void appendString(QByteArray &out, QStringView text);

private:
    void separate()
    {
        if (m_afterKey)
            m_afterKey = false;
        else if (!m_first)
            put(',');
        m_first = false;
    }
    void put(char c)
    {
        if (m_pos == m_end)
            grow(1);
        *m_pos++ = c;
    }
    // Room for at least n more bytes at m_pos.
    void reserveMore(qsizetype n)
    {
        if (m_end - m_pos < n)
            grow(n);
    }
    void grow(qsizetype n);
    void writeString(QStringView text);

    static constexpr qsizetype InlineBytes = 1024;
    char m_inline[InlineBytes];
    QByteArray m_out; // once the inline buffer is outgrown: its size is the capacity; [m_begin, m_pos) is written
    char *m_begin = nullptr;
    char *m_pos = nullptr;
    char *m_end = nullptr;
    bool m_first = true;
    bool m_afterKey = false;
};

} // namespace collab

// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <type_traits>

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
// Two forms of the same text: UTF-8 bytes (JsonWriter: storage, files, the cluster bus) and UTF-16
// (TextJsonWriter: the WebSocket text frame, which QWebSocket takes as a QString, so a frame written that way is
// converted once, by Qt, on its way to the socket). The UTF-16 form is the UTF-8 form's text unit for unit.
//
// The caller is responsible for the structure: commas are inserted automatically between values of one
// object or array, and each key() must be followed by exactly one value.
template<typename Unit>
class BasicJsonWriter
{
public:
    using Output = std::conditional_t<sizeof(Unit) == 1, QByteArray, QString>;

    // Frames up to InlineUnits are written on the stack and copied out once at their exact size; `reserve`
    // over that starts the writer on the heap.
    explicit BasicJsonWriter(qsizetype reserve = 0);
    BasicJsonWriter(const BasicJsonWriter &) = delete;
    BasicJsonWriter &operator=(const BasicJsonWriter &) = delete;

    BasicJsonWriter &beginObject() { separate(); put('{'); m_first = true; return *this; }
    BasicJsonWriter &endObject() { put('}'); m_first = false; return *this; }
    BasicJsonWriter &beginArray() { separate(); put('['); m_first = true; return *this; }
    BasicJsonWriter &endArray() { put(']'); m_first = false; return *this; }

    BasicJsonWriter &key(const char *latin1Key);
    BasicJsonWriter &value(QStringView text);
    // Without this, a u"literal" would convert to bool rather than to QStringView.
    BasicJsonWriter &value(const char16_t *text) { return value(QStringView(text)); }
    BasicJsonWriter &value(qint64 number);
    BasicJsonWriter &value(int number) { return value(qint64(number)); }
    BasicJsonWriter &value(bool flag);

    qsizetype size() const { return qsizetype(m_pos - m_begin); }
    // The JSON written (for JsonWriter, UTF-8 bytes; for TextJsonWriter, a QString).
    Output result() &&;

    static void appendString(Output &out, QStringView text);

private:
    void separate()
    {
        if (m_afterKey)
            m_afterKey = false;
        else if (!m_first)
            put(',');
        m_first = false;
    }
    void put(Unit c)
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

    static constexpr qsizetype InlineUnits = 1024;
    Unit m_inline[InlineUnits];
    Output m_out; // once the inline buffer is outgrown: its size is the capacity; [m_begin, m_pos) is written
    Unit *m_begin = nullptr;
    Unit *m_pos = nullptr;
    Unit *m_end = nullptr;
    bool m_first = true;
    bool m_afterKey = false;
};

using JsonWriter = BasicJsonWriter<char>;
using TextJsonWriter = BasicJsonWriter<char16_t>;

extern template class BasicJsonWriter<char>;
extern template class BasicJsonWriter<char16_t>;

} // namespace collab

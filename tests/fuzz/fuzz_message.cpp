// SPDX-License-Identifier: MIT
// libFuzzer target: collab::Message's decoders on arbitrary frames.
//
// Properties checked for every input, in both directions (client->server and server->client):
//   - decoding never crashes, hangs or trips a sanitizer, whatever the bytes;
//   - an error names a known protocol error code;
//   - a decoded message re-encodes to a frame that decodes again, and that second encoding is byte-identical
//     (encode . decode is the identity on encoded frames), so the relay never forwards something it would
//     itself refuse;
//   - what decodes is JSON that an independent parser (QJsonDocument) reads as an object too: the decoder
//     is never more lenient than a standard JSON reader;
//   - the frame as QWebSocket would hand it over (UTF-16 text, for valid UTF-8) decodes to the same message,
//     or fails with the same error code, and a message's text encoding is its UTF-8 encoding as text.
#include "message.h"

#include <QJsonDocument>

#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void fail(const char *what, const QByteArray &frame)
{
    std::fprintf(stderr, "fuzz_message: %s\nframe: %s\n", what, frame.constData());
    std::abort();
}

template<typename Decode>
void checkDirection(const QByteArray &frame, Decode decode)
{
    const auto decoded = decode(frame);
    if (!decoded) {
        if (collab::protocolErrorName(decoded.error().code).isEmpty())
            fail("error without a code name", frame);
        return;
    }
    const QByteArray once = collab::Message::encode(*decoded);
    const auto again = decode(once);
    if (!again)
        fail(qPrintable(QStringLiteral("re-encoded message does not decode: ") + again.error().message), once);
    if (collab::Message::encode(*again) != once)
        fail("encoding is not stable across a decode round trip", once);
}

template<typename Decode>
void checkText(const QByteArray &frame, Decode decode)
{
    const QString text = QString::fromUtf8(frame);
    if (text.toUtf8() != frame)
        return; // not valid UTF-8: Qt closes the connection instead of handing it over
    const auto fromBytes = decode(frame);
    const auto fromText = decode(text);
    if (fromBytes.hasValue() != fromText.hasValue())
        fail("the text form decodes differently from the bytes", frame);
    if (!fromBytes) {
        if (fromBytes.error().code != fromText.error().code)
            fail("the text form fails with another error code", frame);
        return;
    }
    const QByteArray bytes = collab::Message::encode(*fromBytes);
    if (collab::Message::encode(*fromText) != bytes)
        fail("the text form decodes to another message", frame);
    if (collab::Message::encodeText(*fromBytes) != QString::fromUtf8(bytes))
        fail("encodeText is not encode as text", frame);
}

template<typename Result>
void checkIndependently(const QByteArray &frame, const Result &decoded)
{
    if (!decoded)
        return;
    QJsonParseError parseError;
    const QJsonDocument independent = QJsonDocument::fromJson(frame, &parseError);
    if (parseError.error != QJsonParseError::NoError || !independent.isObject())
        fail("decoded a frame that QJsonDocument does not read as a JSON object", frame);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray frame(reinterpret_cast<const char *>(data), qsizetype(size));
    checkDirection(frame, [](const QByteArray &f) { return collab::Message::decodeClient(f); });
    checkDirection(frame, [](const QByteArray &f) { return collab::Message::decodeServer(f); });
    checkIndependently(frame, collab::Message::decodeClient(frame));
    checkIndependently(frame, collab::Message::decodeServer(frame));
    checkText(frame, [](const auto &f) { return collab::Message::decodeClient(f); });
    checkText(frame, [](const auto &f) { return collab::Message::decodeServer(f); });
    return 0;
}

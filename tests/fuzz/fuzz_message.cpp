// SPDX-License-Identifier: MIT
// libFuzzer target: collab::Message's decoders on arbitrary frames.
//
// Properties checked for every input, in both directions (client->server and server->client):
//   - decoding never crashes, hangs or trips a sanitizer, whatever the bytes;
//   - an error names a known protocol error code;
//   - a decoded message re-encodes to a frame that decodes again, and that second encoding is byte-identical
//     (encode . decode is the identity on encoded frames), so the relay never forwards something it would
//     itself refuse;
//   - the fast decoders (a scanner for compact ASCII frames, then RapidJSON) give exactly what the
//     QJsonDocument decoder alone gives: the same message, or an error with the same code and text.
#include "message.h"

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

template<typename Result>
void checkSameAsSlow(const QByteArray &frame, const Result &fast, const Result &slow)
{
    if (fast.hasValue() != slow.hasValue())
        fail("fast and slow decoders disagree on success", frame);
    if (fast.hasValue()) {
        if (collab::Message::encode(*fast) != collab::Message::encode(*slow))
            fail("fast and slow decoders decode different messages", frame);
    } else if (fast.error().code != slow.error().code || fast.error().message != slow.error().message) {
        fail("fast and slow decoders give different errors", frame);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray frame(reinterpret_cast<const char *>(data), qsizetype(size));
    checkDirection(frame, [](const QByteArray &f) { return collab::Message::decodeClient(f); });
    checkDirection(frame, [](const QByteArray &f) { return collab::Message::decodeServer(f); });
    checkSameAsSlow(frame, collab::Message::decodeClient(frame), collab::Message::decodeClientSlow(frame));
    checkSameAsSlow(frame, collab::Message::decodeServer(frame), collab::Message::decodeServerSlow(frame));
    return 0;
}

// SPDX-License-Identifier: MIT
#include "expected.h"

namespace collab {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::MalformedOperation: return QStringLiteral("malformed-operation");
    case ErrorCode::BaseLengthMismatch: return QStringLiteral("base-length-mismatch");
    case ErrorCode::SplitsSurrogatePair: return QStringLiteral("splits-surrogate-pair");
    case ErrorCode::RevisionFromFuture: return QStringLiteral("revision-from-future");
    case ErrorCode::RevisionTooOld: return QStringLiteral("revision-too-old");
    case ErrorCode::DuplicateOperation: return QStringLiteral("duplicate-operation");
    case ErrorCode::OutOfOrderSequence: return QStringLiteral("out-of-order-sequence");
    case ErrorCode::InvalidState: return QStringLiteral("invalid-state");
    }
    return QStringLiteral("unknown");
}

} // namespace collab

// SPDX-License-Identifier: Apache-2.0
// Stream ids as --after/--before take them, and --since/--until times.
#include "onep/stream_id.h"

#include <gtest/gtest.h>

#include <string>

#include "onep/parse.h"

namespace onep {
namespace {

TEST(StreamIdTest, ParsesOnlyTheCompleteForm) {
  auto id = ParseStreamId("1764237600000-3");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->ms, 1764237600000u);
  EXPECT_EQ(id->seq, 3u);
  EXPECT_EQ(id->ToString(), "1764237600000-3");
  auto max = ParseStreamId("18446744073709551615-18446744073709551615");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->ms, StreamId::kMaxPart);
  for (const char* bad :
       {"", "-", "+", "$", "0", "12", "12-", "-3", "1-2-3", "a-1", "1-b", " 1-2", "1-2 ", "+1-2",
        "1--2", "18446744073709551616-0", "0-18446744073709551616"}) {
    EXPECT_FALSE(ParseStreamId(bad).ok()) << bad;
  }
}

TEST(StreamIdTest, OrdersAsRedisDoesNotAsStrings) {
  EXPECT_LT(*ParseStreamId("9-0"), *ParseStreamId("10-0"));
  EXPECT_LT(*ParseStreamId("10-9"), *ParseStreamId("10-10"));
  EXPECT_FALSE(*ParseStreamId("10-0") < *ParseStreamId("10-0"));
  EXPECT_EQ(*ParseStreamId("10-0"), StreamId::FirstOf(10));
  EXPECT_LT(StreamId::LastOf(10), StreamId::FirstOf(11));
}

TEST(TimeOrAgoTest, TakesADurationAgoOrAnRfc3339Time) {
  const int64_t now = 1764237600000;  // 2025-11-27T10:00:00Z
  EXPECT_EQ(*ParseTimeOrAgoMs("1h", now), now - 3600000);
  EXPECT_EQ(*ParseTimeOrAgoMs("90", now), now - 90000);
  EXPECT_EQ(*ParseTimeOrAgoMs("2025-11-27T09:00:00Z", now), now - 3600000);
  EXPECT_EQ(*ParseTimeOrAgoMs("2025-11-27T11:00:00+02:00", now), now - 3600000);
  for (const char* bad : {"", "0s", "yesterday", "2025-11-27", "2025-13-01T00:00:00Z",
                          "2025-11-27T10:00:00", "-1h"}) {
    auto parsed = ParseTimeOrAgoMs(bad, now);
    EXPECT_FALSE(parsed.ok()) << bad;
  }
  EXPECT_NE(ParseTimeOrAgoMs("2025-13-01T00:00:00Z", now).status().message().find("RFC 3339"),
            std::string::npos);
}

}  // namespace
}  // namespace onep

// SPDX-License-Identifier: Apache-2.0
// hiredis' reader building onep::Reply values directly, instead of a
// redisReply tree to copy and then free: the reply functions' table of
// hiredis 0.14 (5 functions) or 1.x (7).
#ifndef ONEP_CORE_SRC_REDIS_REPLY_BUILDER_H_
#define ONEP_CORE_SRC_REDIS_REPLY_BUILDER_H_

struct redisContext;

namespace onep {

// Makes `ctx`'s reader build Reply values: each reply redisGetReply returns
// is then a Reply* allocated with new, the caller's to delete. Call before
// any reply is read.
void UseReplyBuilder(redisContext* ctx);

}  // namespace onep

#endif  // ONEP_CORE_SRC_REDIS_REPLY_BUILDER_H_

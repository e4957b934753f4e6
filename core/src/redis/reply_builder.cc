// SPDX-License-Identifier: Apache-2.0
#include "reply_builder.h"

#include <hiredis/hiredis.h>

#include <cstddef>
#include <string>

#include "onep/redis_connection.h"

namespace onep {
namespace {

// hiredis' reader builds our Reply tree directly, instead of a redisReply
// tree to copy and then free. A child is its parent's element `idx` (the
// array is sized when it is created, so the slot stays put); the root is
// allocated, and is the only object hiredis ever frees (freeObject).
// Returning nullptr tells hiredis it is out of memory.
Reply* ReplySlot(const redisReadTask* task) {
  if (task->parent == nullptr) return new Reply();
  auto* parent = static_cast<Reply*>(task->parent->obj);
  return &parent->elements[static_cast<std::size_t>(task->idx)];
}

template <typename Fill>
void* MakeReply(const redisReadTask* task, Fill fill) noexcept {
  try {
    Reply* r = ReplySlot(task);
    fill(*r);
    return r;
  } catch (...) {
    return nullptr;
  }
}

void* CreateString(const redisReadTask* task, char* str, size_t len) {
  return MakeReply(task, [&](Reply& r) {
    r.type = task->type == REDIS_REPLY_ERROR    ? Reply::Type::kError
             : task->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                : Reply::Type::kString;
    r.str.assign(str, len);
  });
}

// hiredis 0.14 passes an array's size as int, 1.x as size_t.
template <typename Count>
void* CreateArray(const redisReadTask* task, Count elements) {
  return MakeReply(task, [&](Reply& r) {
    r.type = Reply::Type::kArray;
    r.elements.resize(elements > 0 ? static_cast<std::size_t>(elements) : 0);
  });
}

void* CreateInteger(const redisReadTask* task, long long value) {
  return MakeReply(task, [&](Reply& r) {
    r.type = Reply::Type::kInteger;
    r.integer = value;
  });
}

void* CreateNil(const redisReadTask* task) {
  return MakeReply(task, [](Reply& r) { r.type = Reply::Type::kNil; });
}

#if HIREDIS_MAJOR >= 1
// RESP3 only (onep speaks RESP2, where Redis sends neither): a double as the
// bulk string RESP2 would have sent, a boolean as RESP2's integer.
void* CreateDouble(const redisReadTask* task, double, char* str, size_t len) {
  return MakeReply(task, [&](Reply& r) {
    r.type = Reply::Type::kString;
    r.str.assign(str, len);
  });
}

void* CreateBool(const redisReadTask* task, int value) {
  return MakeReply(task, [&](Reply& r) {
    r.type = Reply::Type::kInteger;
    r.integer = value != 0 ? 1 : 0;
  });
}
#endif

void FreeReply(void* reply) { delete static_cast<Reply*>(reply); }

// The table's layout is hiredis' own: 5 functions in 0.14, 7 in 1.x.
#if HIREDIS_MAJOR >= 1
redisReplyObjectFunctions kReplyFunctions = {CreateString, CreateArray<size_t>, CreateInteger,
                                             CreateDouble, CreateNil,           CreateBool,
                                             FreeReply};
#else
redisReplyObjectFunctions kReplyFunctions = {CreateString, CreateArray<int>, CreateInteger,
                                             CreateNil, FreeReply};
#endif

}  // namespace

void UseReplyBuilder(redisContext* ctx) { ctx->reader->fn = &kReplyFunctions; }

}  // namespace onep

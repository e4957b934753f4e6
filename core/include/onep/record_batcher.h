// SPDX-License-Identifier: Apache-2.0
// Group commit: the events that concurrent threads of one process are ready
// to record share one write to Redis.
//
// The first thread to arrive sends what is queued then, its own event
// included, as one script call per slot, all in one write
// (EventStore::RecordBatches), while the
// threads that arrived with it wait for their own outcome; threads that
// arrive while a batch is on the wire queue for the next one, which the first
// of them sends as soon as the previous one is answered. No timer, no delay:
// a thread alone sends at once, as before.
//
// Each event gets exactly the outcome it would have had alone; the rules of
// EventStore::Record hold per event: the call carries a deadline, nothing is
// sent twice, and a call that fails (Redis gone, timed out, too few replicas
// with OnepRedisWait) fails exactly the events in it. A thread whose event
// has not been sent within the Redis timeout withdraws it (nothing was sent)
// and gets Unavailable. Once its event is in a batch being sent, a thread
// waits for that batch's answer with no deadline of its own: the sender's
// call is bounded by the sender's Redis timeout. An exception while sending a
// batch (no memory, the `on_batch` callback) fails exactly that batch's
// events with Internal; Record never throws it, and the next batch goes out.
//
// Thread-safety: Record() may be called from any number of threads.
#ifndef ONEP_RECORD_BATCHER_H_
#define ONEP_RECORD_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "onep/event_store.h"
#include "onep/redis_client.h"

namespace onep {

class RecordBatcher {
 public:
  // At most `max_batch` events per write. `on_batch`, when given, is told
  // the size of every batch sent (for metrics), from the sending thread.
  explicit RecordBatcher(const EventStore& store, std::size_t max_batch = 64,
                         std::function<void(std::size_t)> on_batch = {})
      : store_(store), max_batch_(max_batch), on_batch_(std::move(on_batch)) {}
  RecordBatcher(const RecordBatcher&) = delete;
  RecordBatcher& operator=(const RecordBatcher&) = delete;

  // As EventStore::Record, with the concurrent callers' events in the same
  // write. A legacy token (no routing tag) is recorded alone.
  Result<RecordOutcome> Record(RedisClient& redis, const RecordRequest& request);

  // Events waiting for the batch on the wire to be answered.
  std::size_t Queued();

 private:
  struct Waiter {
    const RecordRequest* request;
    // The waiting thread's own condition variable (one per thread, so that it
    // outlives a notify sent after the lock is released): only the thread
    // concerned is woken, never the whole queue.
    std::shared_ptr<std::condition_variable> wake;
    bool taken = false;     // in a batch being sent: it can no longer withdraw
    bool answered = false;  // its batch was answered: `outcome` is final
    // Written by the sender before it marks the batch answered. Empty only
    // if even a failure could not be written (no memory).
    std::optional<Result<RecordOutcome>> outcome;
  };
  // A thread's condition variable and what it needs to send a batch (in the
  // .cc file).
  struct ThreadState;

  // The calling thread's state, with room for a batch of max_batch_ taken
  // before its event is queued: taking a batch and ending it allocate
  // nothing, so they cannot throw half-way.
  ThreadState& ThisThread();
  // Sends the batch `sender` took from the queue and ends it, whatever
  // throws: every member gets an outcome, sending_ is cleared and the next
  // event in the queue woken. Called without the lock.
  void Send(RedisClient& redis, ThreadState& sender);
  // The calls of `batch`, one per slot and wait setting, sent together; each
  // member's outcome written into it. May throw.
  void Call(RedisClient& redis, const std::vector<Waiter*>& batch);
  // Gives each member of `batch` that has no outcome Internal, saying `what`
  // failed.
  static void Fail(const std::vector<Waiter*>& batch, const char* what) noexcept;
  // Clears sending_, marks `sender`'s batch answered and wakes its members
  // and the next event in the queue. Takes the lock.
  void End(ThreadState& sender) noexcept;

  const EventStore& store_;
  const std::size_t max_batch_;
  std::function<void(std::size_t)> on_batch_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;  // guarded by mu_; waiters not yet taken
  bool sending_ = false;       // guarded by mu_: a batch is on the wire
};

}  // namespace onep

#endif  // ONEP_RECORD_BATCHER_H_

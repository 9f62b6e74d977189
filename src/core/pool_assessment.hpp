// The stages of recommend_pools (pool_engine.cpp) and what they pass along: one
// Assessment per pool group with figures, shaped by each stage in turn.
//   pool_load.cpp:        the offered load, Erlang C and the p95 floor;
//   pool_bottlenecks.cpp: the group's bottleneck (CPU, locks, a censored pool);
//   pool_knee.cpp:        the CPUs' knee for one pool, and the growth it allows;
//   pool_cpu_limits.cpp:  the limits the CPUs set across all groups on a saturated host;
//   pool_history.cpp:     what the sizes the group held in earlier windows served.
// Internal to the engine: nothing outside src/core/pool_*.cpp includes it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/cpu_knee.hpp"
#include "core/pool_engine.hpp"
#include "core/pool_support.hpp"

namespace poolopt::core::pool_stages {

// Above this host CPU utilisation, more busy connections queue for a CPU instead of working.
inline constexpr double kCpuSaturation = 0.85;
// From this share of busy connections waiting on locks, the pool is sized for the rest.
inline constexpr double kLockDiscountShare = 0.1;
// Below this share of its connections busy, the clients' demand sets a pool's throughput,
// and another size would have served the same: such a window says nothing about sizes.
inline constexpr double kPoolLimitedBusyShare = 0.8;

struct Assessment {
    PoolRecommendation row;
    const PoolGroupFacts *facts = nullptr;
    int64_t size = 0;  // pool_size as the steps shape it, before the policy bounds
    double on_cpu_share = 0;
    bool on_cpu_share_estimated = false;
    // Idle in transaction with the client on this host: the client works on, or queues for,
    // the same CPUs. 0 for a remote client.
    double client_here_share = 0;
    // Neither on CPU, nor with a client on this host, nor waiting on a lock: I/O, timers, a
    // remote client. A connection there leaves its core to another.
    double overlapping_share = 0;
    // The part of overlapping_share queued on LWLocks: behind another connection inside the
    // server (the WAL flush, the lock manager), a queue that grows with the pool.
    double lwlock_share = 0;
    pool_support::Notes notes{false};  // written or not as recommend_pools asks
};

void assess_load(Assessment &assessment, const PoolPolicy &policy);
void assess_bottlenecks(Assessment &assessment, const std::optional<double> &host_cpu,
                        const HostCpuCost &cost, const PoolPolicy &policy);

// The CPUs' knee for one pool (pool_knee.cpp).
// Time per transaction away from the CPUs: in waits that overlap CPU work.
double away_seconds(const Assessment &assessment);
// A knee within this share of the open connections, above or below, leaves the pool as it
// is: the CPU cost per transaction it rests on moves by more between windows at the same
// pool size (0.26–0.41 ms for the sleep workload at 52–62 connections on 2 cores), and
// following it would make a steady load oscillate (64 → 69 → 52 in bench/RESULTS.md, run 17).
inline constexpr double kKneeNoiseShare = 0.15;
bool knee_within_noise(int64_t knee, int64_t open);
// The largest pool whose noise band still holds `knee`: a shrink to it is not undone when
// the next window's knee comes out anywhere in the band.
int64_t top_of_knee_band(int64_t knee);
void note_knee_within_noise(pool_support::Notes &notes, int64_t open);

// A pool whose busy connections mostly wait away from the CPUs and the server's own queues
// (overlapping waits less LWLock waits, this share or more: timers, the client, I/O).
inline constexpr double kMostlyAwayShare = 0.5;
bool mostly_away(const Assessment &assessment);
// Such waits run their course whatever the CPUs' queue, so those connections want a core
// independently of one another (queueing.hpp); the others hold on to their demand while
// queued for a core (the finite-source queue).
CpuQueueModel cpu_queue_model(double away_share);
void note_knee(pool_support::Notes &notes, double away, const HostCpuCost &cost, int64_t knee,
               int64_t limit, CpuQueueModel model);
void note_fitted_down(pool_support::Notes &notes, double sampled_away, double away,
                      double in_transaction, const HostCpuCost &cost);

// The knee counts connections inside a transaction. A pool its clients keep busy
// (kPoolLimitedBusyShare or more of its connections in a transaction on average) spends the
// rest between transactions, in the clients' hands, away from the CPUs too: it needs
// in_transaction × open ÷ busy open. A pool with more idle has connections to spare.
struct KneeShareOpen {
    int64_t in_transaction = 0;
    int64_t open = 0;  // what the pool needs open; in_transaction unless the clients limit it
    int64_t connections = 0;
    double busy = 0;
    bool converted() const noexcept { return open != in_transaction; }
};
KneeShareOpen open_for_knee_share(int64_t in_transaction, const Assessment &assessment);
void note_knee_share_open(pool_support::Notes &notes, const KneeShareOpen &share);

// The knee if the CPU the pool uses grows in proportion to its connections (cpu_knee.hpp).
struct ProportionalKnee {
    double own_utilisation = 0;
    double other_utilisation = 0;
    int64_t connections = 0;
};

// The CPUs' knee for one pool from this window, in open connections. A pool mostly away:
// independent sources on its sampled away time, the connections in a transaction converted
// to open ones. The others: the finite-source queue on its away time (sampled; below
// saturation fitted to the host CPU), a fitted knee held in proportion to what the pool
// uses now. limit + 1 when past `limit`.
struct PoolKnee {
    CpuQueueModel model = CpuQueueModel::finite_source;
    double sampled_away = 0, away = 0;
    int64_t limit = 0, model_knee = 0, knee = 0;
    double in_transaction = 0;  // independent sources: the busy mean the fit is made at
    KneeShareOpen share{};      // independent sources: model_knee in a transaction, open
    ProportionalKnee proportional{};
    bool held_in_proportion = false;
    // An extrapolated knee is held to kSaturationMargin × the saturation point of the
    // sampled away time (cpu_knee.hpp).
    int64_t saturation_bound = 0;
    bool held_at_saturation_bound = false;
};
PoolKnee pool_knee(const Assessment &assessment, const HostCpuCost &cost, bool host_saturated,
                   int64_t limit);
// "; 3 % of busy connections on CPU and 59 % in waits that overlap CPU work: [the fit;] at …
// of host CPU per transaction …, N connections keep the CPUs 98 % busy[; in proportion …]".
void note_pool_knee(pool_support::Notes &notes, const Assessment &assessment, const PoolKnee &knee,
                    const HostCpuCost &cost);
// Below saturation, holds a pool Erlang C would grow past its open connections to the knee.
void hold_growth_to_knee(Assessment &assessment, const HostCpuCost &cost, bool host_saturated,
                         const PoolPolicy &policy);

// Shares the measured CPU capacity among the CPU-bound pools; returns the capacity.
int32_t apply_cpu_capacity(std::vector<Assessment> &assessments, const ServerFacts &server,
                           double host_cpu);
void apply_cpu_knee(std::vector<Assessment> &assessments, const HostCpuCost &cost,
                    const PoolPolicy &policy);

// The measured curve over the models (pool_history.cpp), for a pool whose connections held
// steady through the window and were mostly busy, beside earlier such windows at other sizes:
// a larger one that served measurably more turns a hold or shrink into a step back toward it
// (halfway, at most +50 %); a smaller size that served measurably less stops a shrink to it, or
// partway where the line between them loses as much; a larger one up to the recommendation that
// served no more stops the growth. Open connections one step up from a size that served more
// go back to it; if they served as much or more, they stay against a shrink to it. A pool the
// models hold at its open connections while the host CPU idles, with no size within a step
// of it measured, goes one step up for a window.
void weigh_sizes_held(Assessment &assessment, const std::optional<double> &host_cpu,
                      const PoolPolicy &policy);

}  // namespace poolopt::core::pool_stages

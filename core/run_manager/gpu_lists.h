#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lathe::core::run_manager {

// The GPUs a run may use, as `lathe train --gpus` and the studio's GPUs field take them: "0,2,3"
// on every host of the run, or one list per host of a multi-node SSH run, "A=0,1;B=2,3" (every
// host named once, lists of equal length: each node runs the same number of ranks).
//
// `hosts` are the run's hosts in node order ("" for this machine). Returns the
// CUDA_VISIBLE_DEVICES value of each ("" everywhere for an empty spec). Throws Error naming the
// field ("gpus = ...") and what is wrong: not indices, an unknown or missing host, lists of
// different lengths, a per-host list for this machine.
std::vector<std::string> gpu_lists_per_host(const std::string& spec,
                                            const std::vector<std::string>& hosts);

// Ranks each host of the run starts: `processes` when set (> 0), else one per GPU of the spec
// (checked by gpu_lists_per_host), else one. What RunManager::submit records and the studio
// estimates with.
std::int64_t ranks_per_host(std::int64_t processes, const std::string& gpu_spec,
                            const std::vector<std::string>& hosts);

// The hosts of a run in node order: the host of an "ssh:HOST" target ("" for any other target),
// then the extra hosts.
std::vector<std::string> run_hosts(const std::string& target,
                                   const std::vector<std::string>& extra_hosts);

}  // namespace lathe::core::run_manager

// Package account follows accounts and channels across platforms: the
// registry of their names, bios, avatars and links over time, their status
// (active, dormant, removed, referred) with the evidence of each change,
// lifecycle events (new, reactivated, removed), successor linking (the
// next incarnation of a removed account, ranked on indexed features and
// confirmed by an analyst into lineages), the graph of forwards, replies,
// mentions and links between them with amplifier ranking, discovery of the
// channels flagged content points to, and growth over time.
//
// Rules never write: lifecycle rules (internal/rules) return effects, and
// the worker records them after the batch is committed; this package
// holds the logic the worker, the web pages and the commands share.
package account

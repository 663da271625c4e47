"""Counting: every number Glimpse serves, from one rule.

- `rule`: what one visitor-day contributes (its sessions, its day and hour counts, its
  marks), a pure function of its pageviews;
- `snapshot`: every read of one answer in one committed state.
"""

/**
 * The Full-Duplex-Bench revision whose evaluation rules scorers/duplex/
 * follows, recorded with every turn-taking result (issue 17): v1/v1.5
 * `v1_v1.5/evaluation/eval_pause_handling.py`, `eval_smooth_turn_taking.py`,
 * `eval_user_interruption.py`, `eval_backchannel.py` and `get_timing.py`.
 */
export const fullDuplexBenchVersion = 'DanielLin94144/Full-Duplex-Bench@d7336bda1385872b83b48a8d45d9c0003836a60d (v1/v1.5 evaluation)';

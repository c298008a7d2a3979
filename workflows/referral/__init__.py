"""The referral case workflow: intake, gateway assessment and what follows."""

TASK_QUEUE = "referrals"

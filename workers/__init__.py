"""The workers: what sends notifications, probes services and applies alerts, away from any request.

Request handlers (handlers/tasks.py's cron endpoints, main.py's app factory) only call
them: `notify` sends the outbox's deliveries, `probes` runs the services' HTTP probes,
`outbound` makes their guarded requests to URLs admins typed in, `alerts` applies the alert
deliveries answered before they were, and `background` holds the threads they all run on.
"""

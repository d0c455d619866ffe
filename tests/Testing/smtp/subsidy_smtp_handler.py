"""aiosmtpd handler for SubsidyEngine's mail tests.

A Maildir handler (every accepted message lands in <maildir>/new/, with X-MailFrom and X-RcptTo headers
holding the envelope) that can also refuse recipients, so tests can provoke real SMTP failures:

  - a recipient address containing "reject"   -> 550 5.1.1 mailbox unavailable (permanent)
  - a recipient address containing "tempfail" -> 451 4.3.0 try again later (transient)
  - a recipient address containing "refusedata" -> accepted, but DATA gets 554 5.6.0 message refused

The reply to DATA names a queue id, like real relays do ("250 2.0.0 Ok: queued as N").

Run: PYTHONPATH=<this folder> /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c subsidy_smtp_handler.Handler MAILDIR
"""

import itertools

from aiosmtpd.handlers import Mailbox


class Handler(Mailbox):
    _queue_ids = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        lowered = address.lower()
        if "reject" in lowered:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if "tempfail" in lowered:
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if any("refusedata" in r.lower() for r in envelope.rcpt_tos):
            return "554 5.6.0 message refused"
        message = self.prepare_message(session, envelope)
        self.handle_message(message)
        return "250 2.0.0 Ok: queued as %d" % next(self._queue_ids)

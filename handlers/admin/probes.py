"""Probes: each service's optional HTTP check, its settings and its newest results."""

from flask import render_template, url_for

from handlers.admin.blueprint import bp, submit
from handlers.admin.crud import Ask, asks_first
from handlers.admin.forms import ProbeForm
from models import Service
from models.probes import Probe, ProbeResult


@bp.get("/probes/")
def probes():
    """Every service with its probe (if any) and the probe's last result."""
    by_service = {probe.service_id: probe for probe in Probe.ordered()}
    rows = [(service, by_service.get(service.slug)) for service in Service.ordered()]
    return render_template("admin/probes.html", rows=rows)


@bp.route("/probes/<service_id>", methods=["GET", "POST"])
def edit_probe(service_id):
    """Set up or change a service's probe; its newest results are listed below the form."""
    service = Service.get_or_404(service_id)
    probe = Probe.of(service_id)
    fields = ("url", "expected_status", "timeout", "interval", "threshold", "recovery")
    form = ProbeForm(data={field: getattr(probe, field) for field in fields} if probe else None)
    save = lambda: Probe.configure(service_id, form.url.data,  # noqa: E731
                                   **{field: form[field].data for field in fields[1:]})
    done = submit(form, save, f"Saved the probe of {service.name}.", url_for("admin.probes"))
    if done:
        return done
    results = ProbeResult.newest(service_id, limit=20)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/probe.html", form=form, service=service, probe=probe, results=results), status


@asks_first("/probes/<service_id>/delete")
def delete_probe(service_id):
    """Remove a service's probe, after asking; its results are kept."""
    service = Service.get_or_404(service_id)
    return Ask(
        f"Remove the probe of {service.name}?",
        "The service is no longer checked; its status stays as it is.",
        "Remove probe",
        cancel=url_for("admin.probes"),
        act=lambda: Probe.remove(service_id),
        done=f"Removed the probe of {service.name}.",
    )

"""Shared helpers for the API tests."""


def board_state(client):
    """Everything the public API shows, to prove a refused request changed nothing."""
    services = client.get("/api/v1/services").json["services"]
    return {
        "services": services,
        "events": {
            s["id"]: client.get(f"/api/v1/services/{s['id']}/events").json["events"] for s in services
        },
        "statuses": client.get("/api/v1/statuses").json["statuses"],
        "lists": client.get("/api/v1/service-lists").json["lists"],
    }


def assert_json_error(response, code):
    """The API's error shape: JSON {"error": true, "code": N, "message": "…"}."""
    assert response.status_int == code, response.body
    assert response.content_type == "application/json"
    body = response.json
    assert body["error"] is True
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.text

def test_new_board_has_default_statuses(client):
    statuses = client.get("/api/v1/statuses").json["statuses"]
    assert {s["id"] for s in statuses} == {"up", "down", "warning"}

from tests.conftest import sign_in_locally

def test_smoke(client):
    r = client.get("/admin/", status="*")
    print(r.status, r.headers.get("Location"))
    r = sign_in_locally(client)
    print(r.status, r.headers.get("Location"), r.headers.get("Set-Cookie"))
    r = client.get("/admin/", status="*")
    print(r.status)
    assert r.status_int == 200, r.text[:3000]
    for p in ["/admin/statuses/", "/admin/lists/", "/admin/audit", "/admin/credentials", "/admin/admins", "/admin/services/new", "/admin/statuses/new", "/admin/lists/new", "/admin/statuses/up/edit", "/admin/statuses/up/delete"]:
        r = client.get(p, status="*")
        assert r.status_int == 200, (p, r.text[:3000])

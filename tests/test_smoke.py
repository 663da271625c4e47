def test_admin_login_page_renders(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "access-control-allow-origin" not in {name.lower() for name in response.headers}

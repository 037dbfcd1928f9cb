def test_personas_belong_to_their_suppliers(gaining_user, installing_user, helpdesk_user):
    assert gaining_user.supplier.name == "Gaining Energy"
    assert installing_user.supplier.name == "Installing Power"
    assert helpdesk_user.supplier is None and helpdesk_user.is_helpdesk

def test_world_builds(world):
    assert world["ks"].city_id == "320500"
    assert world["nj"].city_id == "320100"

"""`vpo doctor`: is everything VPO depends on present and sound?"""

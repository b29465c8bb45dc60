//! A festival whose every text field is an XSS vector.

/// Long enough for descriptions, bios and notes.
pub const XSS: &str = r#"<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) \"><svg onload=alert(1)> <iframe src=javascript:alert(1)></iframe> <a href=\"jAvAsCrIpT:alert(1)\">y</a> <b onclick=alert(1)>z</b>"#;

/// Short enough for titles, names and tags (at most 100 bytes).
pub const SHORT: &str = r#"<script>alert(1)</script><img src=x onerror=alert(1)>\"><svg onload=alert(1)>[x](javascript:1)"#;

/// A script of operations whose every text field is an XSS vector.
pub fn script() -> String {
    let url = r#"https://evil.example/\"><script>alert(1)</script>"#;
    let text = XSS;
    let short = SHORT;
    format!(
        r#"
[[op]]
do = "profile"
person = "mallory"
display_name = "{short}"
bio = "{text}"

[[op]]
do = "festival"
id = "f"
author = "mallory"
name = "{short}"
description = "{text}"
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-18T23:00:00+02:00"
time_zone = "Europe/Berlin"

[[op]]
do = "festival"
id = "sub"
author = "mallory"
name = "{short}"
description = "{text}"
start = "2027-07-16T10:00:00+02:00"
end = "2027-07-17T23:00:00+02:00"
time_zone = "Europe/Berlin"
parent = "f"

[[op]]
do = "resource"
id = "place"
owner = "mallory"
festival = "f"
title = "{short}"
description = "{text}"
kind = "room"
policy = "manual"
location = {{ mode = "address", address = "{text}" }}

[[op]]
do = "resource"
id = "online"
owner = "mallory"
festival = "f"
title = "{short}"
description = "{text}"
kind = "url"
policy = "manual"
location = {{ mode = "virtual", url = "{url}", position = [1.0, 2.0, 3.0] }}

[[op]]
do = "resource"
id = "thing"
owner = "mallory"
festival = "sub"
title = "{short}"
description = "{text}"
kind = "thing"
policy = "first_come_first_served"

[[op]]
do = "event"
id = "e1"
author = "mallory"
festival = "f"
title = "{short}"
description = "{text}"
start = "2027-07-16T18:00:00+02:00"
end = "2027-07-16T19:00:00+02:00"
resources = ["place", "online", "thing"]
tags = ["{short}"]
links = [["{short}", "{url}"]]
subtitle = "{short}"
abstract = "{text}"
language = "en"
persons = ["{short}"]

[[op]]
do = "authorize"
event = "e1"
resource = "place"
decision = "confirmed"
note = "{text}"

[[op]]
do = "event"
id = "e2"
author = "trent"
festival = "sub"
title = "{short}"
description = "{text}"
start = "2027-07-16T18:30:00+02:00"
end = "2027-07-17T01:30:00+02:00"
resources = ["place"]
tags = []
links = []

[[op]]
do = "authorize"
event = "e2"
resource = "place"
decision = "confirmed"
note = "{text}"

[[op]]
do = "event"
id = "gone"
author = "mallory"
festival = "f"
title = "{short}"
description = "{text}"
start = "2027-07-17T10:00:00+02:00"
end = "2027-07-17T11:00:00+02:00"

[[op]]
do = "delete_event"
event = "gone"
"#
    )
}

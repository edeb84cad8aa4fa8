//! The demo: a synthetic population for one regency, loaded in batches with progress, and
//! one officer per level to log in with.

use chrono::Utc;
use pintu_domain::household::ValidHousehold;
use pintu_domain::sources::Source;
use pintu_domain::{AreaCode, AreaLevel, names};
use pintu_store::bulk::{BulkHousehold, BulkSource};
use pintu_store::registry::NewPerson;
use pintu_store::{jobs, new_id};
use pintu_synth::population::{SynthConfig, generate};
use serde::Serialize;

use crate::{Ctx, Error, Pintu, Result, today};

/// Households per transaction while loading: large enough for speed, small enough that a
/// crash loses at most one uncommitted batch and never half of one.
pub const LOAD_BATCH_HOUSEHOLDS: usize = 5_000;

/// The password of every demo account. Demo data only: never use in production.
pub const DEMO_PASSWORD: &str = "pintu-demo-2026";
/// The demo's district officer, who imports the demo's source extracts.
pub const DEMO_DISTRICT_OFFICER: &str = "kabupaten";

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: String,
    pub area_code: Option<String>,
    pub area_name: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadReport {
    pub households: usize,
    pub persons: usize,
    pub seconds: f64,
}

/// Turns a validated household into rows for the bulk loader.
pub fn bulk_household(h: &ValidHousehold, at: chrono::DateTime<Utc>) -> BulkHousehold {
    let village = h.village.as_str().to_string();
    BulkHousehold {
        id: new_id(),
        kk_number: h.kk_number.as_ref().map(|k| k.as_str().to_string()),
        village_code: village.clone(),
        address: h.address.clone(),
        rt: h.rt.clone(),
        rw: h.rw.clone(),
        members: h
            .members
            .iter()
            .map(|m| {
                let f = &m.facts;
                let person = NewPerson {
                    id: new_id(),
                    nik: f.nik.as_ref().map(|n| n.as_str().to_string()),
                    full_name: f.full_name.clone(),
                    name_key: names::search_key(&f.full_name),
                    sex: f.sex.code(),
                    birth_date: f.birth_date,
                    birth_place: f.birth_place.clone(),
                    religion: f.religion.clone(),
                    education: f.education.clone(),
                    occupation: f.occupation.clone(),
                    marital_status: f.marital_status.clone(),
                    phone: f.phone.clone(),
                    village_code: village.clone(),
                    at,
                };
                (person, m.relationship.code())
            })
            .collect(),
    }
}

/// Generates synthetic households for the villages of `area` on a blocking thread and
/// hands them over in batches.
pub fn synthetic_batches(
    villages: Vec<AreaCode>,
    persons: usize,
    seed: u64,
) -> tokio::sync::mpsc::Receiver<Vec<ValidHousehold>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<ValidHousehold>>(4);
    tokio::task::spawn_blocking(move || {
        let cfg = SynthConfig {
            seed,
            persons,
            today: today(),
        };
        let mut batch = Vec::with_capacity(LOAD_BATCH_HOUSEHOLDS);
        let mut open = true;
        generate(&villages, &cfg, |h| {
            if !open {
                return;
            }
            batch.push(h);
            if batch.len() == LOAD_BATCH_HOUSEHOLDS {
                open = tx.blocking_send(std::mem::take(&mut batch)).is_ok();
            }
        });
        if open && !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
    });
    rx
}

impl Pintu {
    /// Loads a synthetic population of about `persons` people into the villages of `area`,
    /// as a job with progress. `progress(done, total)` is called after each batch.
    pub async fn load_synthetic(
        &self,
        ctx: &Ctx,
        area: &AreaCode,
        persons: usize,
        seed: u64,
        progress: impl Fn(usize, usize),
    ) -> Result<LoadReport> {
        if !matches!(ctx.actor, pintu_domain::Actor::System { .. }) && !ctx.actor.may_manage_users()
        {
            return Err(Error::Forbidden);
        }
        let villages = self.store.villages_within(area).await?;
        if villages.is_empty() {
            return Err(Error::invalid("area", "area_has_no_villages"));
        }
        let started = std::time::Instant::now();
        let job_id = new_id();
        let now = Utc::now();
        let params = serde_json::json!({ "area": area.as_str(), "persons": persons, "seed": seed })
            .to_string();
        jobs::insert_job(
            self.store.conn(),
            &job_id,
            "synthetic_load",
            &params,
            persons as i64,
            &ctx.actor.label(),
            now,
        )
        .await?;
        let deferred = self.store.defer_bulk_indexes().await?;
        let mut rx = synthetic_batches(villages, persons, seed);
        let mut report = LoadReport::default();
        let actor = ctx.actor.label();
        let result: Result<()> = async {
            while let Some(batch) = rx.recv().await {
                let at = Utc::now();
                let rows: Vec<BulkHousehold> =
                    batch.iter().map(|h| bulk_household(h, at)).collect();
                let src = BulkSource {
                    actor: &actor,
                    source: "synthetic",
                    at,
                };
                report.households += rows.len();
                report.persons += self.store.load_households(rows, &src).await?;
                jobs::set_progress(
                    self.store.conn(),
                    &job_id,
                    report.persons as i64,
                    Utc::now(),
                )
                .await?;
                progress(report.persons.min(persons), persons);
            }
            Ok(())
        }
        .await;
        // Rebuild the indexes even after a failure, so the registry stays fully indexed.
        let indexed = if deferred {
            self.store.ensure_bulk_indexes().await.map_err(Error::from)
        } else {
            Ok(())
        };
        let result = result.and(indexed);
        let error = result.as_ref().err().map(|e| e.to_string());
        jobs::finish_job(self.store.conn(), &job_id, error.as_deref(), Utc::now()).await?;
        result?;
        report.seconds = started.elapsed().as_secs_f64();
        self.audit
            .record(
                ctx,
                "registry.bulk_load",
                "job",
                Some(&job_id),
                Some(area.as_str()),
                Some(format!(
                    "households={} persons={}",
                    report.households, report.persons
                )),
            )
            .await?;
        Ok(report)
    }

    /// Creates one officer per level inside `regency` (village, sub-district, district,
    /// province, national, admin, and the province's ombudsman) unless they exist, all with [`DEMO_PASSWORD`].
    pub async fn create_demo_users(&self, regency: &AreaCode) -> Result<Vec<DemoLogin>> {
        let ctx = Ctx::system("demo");
        let village = self
            .store
            .villages_within(regency)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("regency", "area_has_no_villages"))?;
        let levels = [
            ("desa", "village_officer", Some(village.clone())),
            (
                "kecamatan",
                "subdistrict_officer",
                village.ancestor(AreaLevel::District),
            ),
            (
                DEMO_DISTRICT_OFFICER,
                "district_officer",
                village.ancestor(AreaLevel::Regency),
            ),
            (
                "provinsi",
                "province_officer",
                village.ancestor(AreaLevel::Province),
            ),
            ("nasional", "national_officer", None),
            ("admin", "admin", None),
            (
                "ombudsman",
                "ombudsman",
                village.ancestor(AreaLevel::Province),
            ),
        ];
        let mut out = Vec::new();
        for (username, role, area) in levels {
            let area_name = match &area {
                Some(a) => self.store.area(a.as_str()).await?.map(|a| a.name),
                None => None,
            };
            let display = match &area_name {
                Some(n) => format!("Petugas {username} {n}"),
                None => format!("Petugas {username}"),
            };
            match self
                .create_user(
                    &ctx,
                    username,
                    &display,
                    role,
                    area.as_ref().map(AreaCode::as_str),
                    DEMO_PASSWORD,
                )
                .await
            {
                Ok(_) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            out.push(DemoLogin {
                username: username.to_string(),
                password: DEMO_PASSWORD.to_string(),
                role: role.to_string(),
                area_code: area.map(|a| a.to_string()),
                area_name,
            });
        }
        // The Ministry of Social Affairs' PKH unit decides the PKH applications.
        match self
            .create_agency_officer(
                &ctx,
                "dinsos",
                "Petugas PKH Kementerian Sosial",
                "PKH",
                None,
                DEMO_PASSWORD,
            )
            .await
        {
            Ok(_) | Err(Error::Conflict { .. }) => out.push(DemoLogin {
                username: "dinsos".into(),
                password: DEMO_PASSWORD.to_string(),
                role: "agency_officer (PKH)".into(),
                area_code: None,
                area_name: None,
            }),
            // No PKH in the catalogue: no agency officer.
            Err(Error::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(out)
    }

    /// A demo officer's context, to act as them ([`Pintu::create_demo_users`] made them).
    pub async fn demo_officer(&self, username: &str) -> Result<Ctx> {
        let user = pintu_store::users::user_by_username(self.store.conn(), username)
            .await?
            .ok_or(Error::NotFound)?;
        let actor = crate::auth::actor_of(&user)?;
        Ok(Ctx::new(actor, None))
    }

    /// Registers the demo resident's family in JKN (PBPU, class 3, the regency's first
    /// FKTP), so the portal shows a digital card, and bills this month. Returns whether it
    /// registered.
    pub async fn record_demo_membership(&self, regency: &AreaCode) -> Result<bool> {
        let Some((nik, _, _)) = self.demo_resident(regency).await? else {
            return Ok(false);
        };
        let c = self.store.conn();
        let Some(person) =
            pintu_store::registry::person_by_nik(c, &pintu_domain::access::Scope::National, &nik)
                .await?
        else {
            return Ok(false);
        };
        let Some(fktp) = pintu_store::jkn::facilities(c, Some(regency.as_str()))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(false);
        };
        let input = crate::membership::MembershipInput {
            person_id: person.id,
            segment: "PBPU".into(),
            class: Some(3),
            fktp: fktp.code,
            start_date: None,
        };
        let registered = match self
            .register_membership(&Ctx::system("demo"), &input, Utc::now())
            .await
        {
            Ok(_) => true,
            Err(Error::Conflict { .. }) => false,
            Err(e) => return Err(e),
        };
        // This month's bill, for the portal's "pay now" (a re-run bills nobody twice).
        let today = crate::today();
        self.run_billing(
            &Ctx::system("demo"),
            &today.format("%Y-%m").to_string(),
            today,
            Utc::now(),
        )
        .await?;
        Ok(registered)
    }

    /// A demo employer (BPJS Ketenagakerjaan) in the first village of `regency` with up to
    /// four workers of that village (living adults with a NIK) and last month's wages
    /// reported, and its own login `pemberi` (password [`DEMO_PASSWORD`]). Returns whether
    /// it was created now.
    pub async fn record_demo_employer(&self, regency: &AreaCode) -> Result<bool> {
        let Some(village) = self
            .store
            .villages_within(regency)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(false);
        };
        let ctx = Ctx::system("demo");
        let npp = format!("{}0001", regency.as_str().replace('.', ""));
        let input = crate::bpjstk::EmployerInput {
            npp: npp.clone(),
            name: "CV Tani Makmur Sejahtera".into(),
            sector: "Pertanian dan pengolahan hasil pertanian".into(),
            risk_class: Some(2),
            village_code: village.to_string(),
            address: Some("Jl. Raya Desa No. 1".into()),
            registered_on: Some("2025-01-01".into()),
        };
        match self.register_employer(&ctx, &input, Utc::now()).await {
            Ok(_) => {}
            Err(Error::Conflict { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
        let rows = pintu_store::query_all(
            self.store.conn(),
            "SELECT nik FROM persons WHERE village_code = ? AND nik IS NOT NULL              AND life_status = 'alive' AND birth_date < ? ORDER BY id LIMIT 4",
            vec![
                village.as_str().into(),
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1).into(),
            ],
        )
        .await?;
        let mut lines = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let nik: String = pintu_store::col(r, "nik")?;
            let worker = crate::bpjstk::WorkerInput {
                nik,
                kpj: None,
                since: Some("2025-01-01".into()),
            };
            if let Ok(w) = self.register_worker(&ctx, &npp, &worker, Utc::now()).await {
                // One wage below the regency's minimum, for the compliance list to show.
                let wage = [4_200_000, 3_900_000, 2_500_000, 5_100_000][i % 4];
                lines.push((
                    i,
                    crate::bpjstk::WageLine {
                        worker: w.kpj,
                        wage: wage.to_string(),
                    },
                ));
            }
        }
        if !lines.is_empty() {
            let first = chrono::Datelike::with_day(&crate::today(), 1).unwrap_or_else(crate::today);
            let last = pintu_domain::bpjstk::previous_period(first);
            self.report_wages(&ctx, &npp, &last, &lines, Utc::now())
                .await?;
        }
        match self
            .create_employer_user(
                &ctx,
                "pemberi",
                "CV Tani Makmur Sejahtera",
                &npp,
                DEMO_PASSWORD,
            )
            .await
        {
            Ok(_) | Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(true)
    }

    /// A resident of the demo who can log in to the portal: a living person of the first
    /// village of `regency` with a NIK and a phone number. Returns their NIK, birth date and
    /// name.
    pub async fn demo_resident(
        &self,
        regency: &AreaCode,
    ) -> Result<Option<(String, chrono::NaiveDate, String)>> {
        let Some(village) = self
            .store
            .villages_within(regency)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let row = pintu_store::query_one(
            self.store.conn(),
            "SELECT nik, birth_date, full_name FROM persons WHERE village_code = ? \
             AND nik IS NOT NULL AND phone IS NOT NULL AND life_status = 'alive' \
             ORDER BY id LIMIT 1",
            vec![village.as_str().into()],
        )
        .await?;
        row.map(|r| {
            Ok((
                pintu_store::col(&r, "nik")?,
                pintu_store::col(&r, "birth_date")?,
                pintu_store::col(&r, "full_name")?,
            ))
        })
        .transpose()
        .map_err(|e: pintu_store::StoreError| Error::from(e))
    }
}

/// Households of the demo population whose survey, card and insurance rows the demo
/// imports: enough to fill the review queues, quick to synchronise.
pub const DEMO_EXTRACT_HOUSEHOLDS: usize = 1_500;

impl Pintu {
    /// Writes the five extracts of the first households of the demo population
    /// (regenerated from the same seed, so the rows describe people in the registry, with
    /// the disagreements real sources have) and imports them as `ctx` (the demo: its district
    /// officer): the imports page, the conflict queue and the person pages' sources then have
    /// something to show.
    /// Importing the same extracts again changes nothing.
    pub async fn import_demo_extracts(
        &self,
        ctx: &Ctx,
        area: &AreaCode,
        persons: usize,
        seed: u64,
    ) -> Result<Vec<pintu_store::imports::ImportRow>> {
        let villages = self.store.villages_within(area).await?;
        let dir = self.files_dir.join("demo-extracts");
        let written = dir.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let cfg = SynthConfig {
                seed,
                persons,
                today: today(),
            };
            let mut households = Vec::with_capacity(DEMO_EXTRACT_HOUSEHOLDS);
            generate(&villages, &cfg, |h| {
                if households.len() < DEMO_EXTRACT_HOUSEHOLDS {
                    households.push(h);
                }
            });
            std::fs::create_dir_all(&written)?;
            pintu_synth::extracts::write_extracts(&households, &written, seed, today())?;
            Ok(())
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| Error::Internal(e.into()))?;
        let mut done = Vec::new();
        for source in Source::ALL {
            let name = format!("{}.csv", source.code());
            let data = std::fs::read(dir.join(&name)).map_err(|e| Error::Internal(e.into()))?;
            done.push(
                self.import_file(ctx, source, &name, data, |_, _, _| {})
                    .await?,
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
        Ok(done)
    }
}

/// A demo complaint: channel, category, programme, description, village (index), days ago,
/// and the steps taken since.
type DemoComplaint = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    i64,
    Vec<crate::complaints::Step>,
);

impl Pintu {
    /// Records a few complaints at different stages in the first villages of `area` (one
    /// open at the village, one with a technical unit, one at the ombudsman, one closed, one
    /// resolved on the spot, one overdue with its call-back), unless the area has complaints
    /// already. Returns how many were recorded.
    pub async fn record_demo_complaints(&self, area: &AreaCode) -> Result<usize> {
        use crate::complaints::{NewComplaint, Step};
        let ctx = Ctx::system("demo");
        let existing = pintu_store::complaints::list(
            self.store.conn(),
            &pintu_domain::access::Scope::Within(area.clone()),
            &pintu_store::complaints::ComplaintFilter::default(),
            1,
        )
        .await?;
        if !existing.is_empty() {
            return Ok(0);
        }
        let villages = self.store.villages_within(area).await?;
        let Some(first) = villages.first() else {
            return Ok(0);
        };
        let village = |i: usize| villages.get(i).unwrap_or(first).as_str().to_string();
        let now = Utc::now();
        let step = |action: &str, unit: Option<&str>, officer: Option<&str>, note: &str| Step {
            action: action.into(),
            unit: unit.map(str::to_string),
            officer: officer.map(str::to_string),
            note: Some(note.into()),
            ..Step::default()
        };
        // (channel, category, programme, description, village, days ago, steps)
        let cases: [DemoComplaint; 6] = [
            (
                "village_intermediary",
                "exclusion_error",
                "PKH",
                "Keluarga kami sangat miskin tetapi tidak terdaftar sebagai penerima PKH.",
                0,
                2,
                vec![],
            ),
            (
                "call_centre",
                "benefit_delay",
                "BPNT",
                "Bantuan pangan non tunai belum masuk ke kartu selama dua bulan.",
                1,
                5,
                vec![
                    step(
                        "forward",
                        None,
                        Some("Koordinator SRS kecamatan"),
                        "Perlu dicek di kabupaten",
                    ),
                    step(
                        "forward",
                        None,
                        Some("Koordinator SRS kabupaten"),
                        "Diteruskan ke kabupaten",
                    ),
                    step(
                        "assign",
                        Some("dinas_sosial"),
                        Some("Kepala Bidang Perlindungan Jaminan Sosial"),
                        "Penyaluran BPNT",
                    ),
                ],
            ),
            (
                "sms",
                "service_quality",
                "JKN-KIS",
                "Puskesmas meminta biaya untuk pemeriksaan padahal saya peserta PBI.",
                2,
                6,
                vec![
                    step("forward", None, None, "Di luar kewenangan desa"),
                    step("forward", None, None, "Diteruskan ke kabupaten"),
                    step(
                        "forward",
                        None,
                        Some("Ombudsman perwakilan provinsi"),
                        "Kasus pelayanan kesehatan yang kompleks",
                    ),
                ],
            ),
            (
                "subdistrict_counter",
                "wrong_data",
                "PIP",
                "Tanggal lahir anak saya salah di data sekolah dan KIP.",
                0,
                12,
                vec![
                    step(
                        "resolve",
                        None,
                        None,
                        "Data sudah diperbaiki sesuai akta kelahiran.",
                    ),
                    Step {
                        action: "acknowledge".into(),
                        acknowledgement: Some("acknowledged".into()),
                        ..Step::default()
                    },
                ],
            ),
            (
                "web",
                "programme_information",
                "ASKESOS / BPJS TK BPU",
                "Bagaimana cara mendaftar BPJS Ketenagakerjaan untuk petani?",
                3,
                1,
                vec![Step {
                    action: "resolve".into(),
                    resolution: Some("on_the_spot".into()),
                    note: Some("Dijelaskan syarat dan iuran BPU, brosur diberikan.".into()),
                    ..Step::default()
                }],
            ),
            (
                "village_intermediary",
                "inclusion_error",
                "PKH",
                "Tetangga yang mampu menerima PKH sementara keluarga miskin tidak.",
                1,
                20,
                vec![],
            ),
        ];
        let mut recorded = 0;
        for (channel, category, programme, description, v, days_ago, steps) in cases {
            let at = now - chrono::Duration::days(days_ago);
            let input = NewComplaint {
                received_on: Some((at + chrono::Duration::hours(7)).date_naive().to_string()),
                channel: channel.into(),
                village_code: village(v),
                complainant_name: Some("Warga".into()),
                contact: Some("081234567890".into()),
                category: category.into(),
                programme: Some(programme.into()),
                description: description.into(),
                officer: Some("Sekretaris desa".into()),
                ..NewComplaint::default()
            };
            let c = self.record_complaint(&ctx, &input, at).await?;
            for (i, s) in steps.iter().enumerate() {
                let when = at + chrono::Duration::hours(2 * (i as i64 + 1));
                self.complaint_step(&ctx, &c.id, s, when).await?;
            }
            recorded += 1;
        }
        self.escalate_overdue(now).await?;
        Ok(recorded)
    }
    /// Starts a few applications at different stages for people of the first village of
    /// `area` (a draft, one submitted with its documents checked, one enrolled), unless the
    /// area has applications already. Returns how many were started.
    pub async fn record_demo_applications(&self, area: &AreaCode) -> Result<usize> {
        use crate::applications::{NewApplicationInput, StepInput};
        const PDF: &[u8] =
            b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n";
        let ctx = Ctx::system("demo");
        if !self
            .applications(&ctx, Some(area.as_str()), None, None, None, Some(1))
            .await?
            .items
            .is_empty()
        {
            return Ok(0);
        }
        let villages = self.store.villages_within(area).await?;
        let Some(village) = villages.first() else {
            return Ok(0);
        };
        let people = pintu_store::registry::list_persons(
            self.store.conn(),
            &pintu_domain::access::Scope::Within(village.clone()),
            None,
            20,
        )
        .await?;
        let now = Utc::now();
        let mut started = 0;
        // (programme, steps taken, documents handed in and checked)
        let plans: [(&str, &[&str], bool); 3] = [
            ("PKH", &[], false),
            ("PIP", &["submit"], true),
            (
                "BPJS-TK-BPU",
                &["submit", "forward", "approve", "enrol"],
                true,
            ),
        ];
        let mut living = people.iter().filter(|p| p.life_status == "alive");
        for (code, steps, documents) in plans {
            let Some(person) = living.next() else { break };
            let input = NewApplicationInput {
                person_id: person.id.clone(),
                programme: code.into(),
                note: Some("Contoh permohonan (demo)".into()),
                ..NewApplicationInput::default()
            };
            let d = match self.create_application(&ctx, &input, now).await {
                Ok(d) => d,
                // Not in the catalogue here, or not for this person: skip it.
                Err(Error::Invalid(_) | Error::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            };
            let id = d.application.id.clone();
            if documents {
                for r in &d.requirements {
                    let doc = self
                        .add_application_document(
                            &ctx,
                            &id,
                            Some(&r.index.to_string()),
                            &format!("dokumen-{}.pdf", r.index + 1),
                            PDF.to_vec(),
                            now,
                        )
                        .await?;
                    self.check_application_document(&ctx, &id, &doc.id, now)
                        .await?;
                }
            }
            for action in steps {
                let step = StepInput {
                    action: (*action).into(),
                    reason: None,
                };
                self.application_step(&ctx, &id, &step, now).await?;
            }
            started += 1;
        }
        Ok(started)
    }
    /// Opens a case for the first household of the first village of `area` with a plan
    /// (one follow-up overdue, one to come), unless the area has cases already. Returns how
    /// many were opened.
    pub async fn record_demo_cases(&self, area: &AreaCode) -> Result<usize> {
        use crate::cases::{NewCaseInput, NewStepInput};
        let ctx = Ctx::system("demo");
        if !self
            .cases(&ctx, Some(area.as_str()), None, false, None, Some(1))
            .await?
            .is_empty()
        {
            return Ok(0);
        }
        let villages = self.store.villages_within(area).await?;
        let Some(village) = villages.first() else {
            return Ok(0);
        };
        let households = pintu_store::registry::list_households(
            self.store.conn(),
            &pintu_domain::access::Scope::Within(village.clone()),
            None,
            1,
        )
        .await?;
        let Some(h) = households.first() else {
            return Ok(0);
        };
        let now = Utc::now();
        let input = NewCaseInput {
            household_id: h.id.clone(),
            needs: vec!["income".into(), "health".into()],
            summary: "Kepala keluarga sakit sejak tiga bulan, belum bekerja lagi (contoh demo)."
                .into(),
            officer: Some("Pendamping PKH".into()),
        };
        let case = self.open_case(&ctx, &input, now).await?;
        let today = crate::today();
        for (referral, to, days) in [
            ("service", "Puskesmas: pemeriksaan kepala keluarga", -3),
            ("programme", "PBI-JK", 14),
        ] {
            let step = NewStepInput {
                referral: referral.into(),
                referred_to: to.into(),
                due_on: (today + chrono::Duration::days(days)).to_string(),
                note: None,
            };
            self.add_case_step(&ctx, &case.case.id, &step, now).await?;
        }
        Ok(1)
    }
}

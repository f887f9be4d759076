-- Development data: the operator MiKL, two clients with one user each, and meetings in every
-- status for both clients. The same ids are used by the demo's identity switcher.
--
--   operator  MiKL              user 0e000000-0000-4000-8000-000000000001
--   client A  Atelier Dupont    client 11111111-1111-4111-8111-111111111111
--             Camille Martin    user 0a000000-0000-4000-8000-00000000000a
--   client B  Boulangerie Bernard client 22222222-2222-4222-8222-222222222222
--             Bruno Petit       user 0b000000-0000-4000-8000-00000000000b
--
-- Meetings are inserted as scheduled and then moved through the state machine, exactly as
-- the functions do it, so the seed obeys the same database rules.

-- Supabase only (local `supabase start`): the three users, with their Foxeo role in
-- app_metadata, password "foxeo-dev". Plain PostgreSQL has no auth.users; skipped there.
do $$
begin
  if to_regclass('auth.users') is null then
    return;
  end if;
  execute $sql$
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
      confirmation_token, recovery_token, email_change_token_new, email_change
    )
    select '00000000-0000-0000-0000-000000000000'::uuid, u.id, 'authenticated', 'authenticated',
           u.email, extensions.crypt('foxeo-dev', extensions.gen_salt('bf')), now(),
           u.app_meta, u.user_meta, now(), now(), '', '', '', ''
    from (values
      ('0e000000-0000-4000-8000-000000000001'::uuid, 'mikl@foxeo.test',
       '{"provider":"email","providers":["email"],"foxeo_role":"operator"}'::jsonb,
       '{"full_name":"MiKL"}'::jsonb),
      ('0a000000-0000-4000-8000-00000000000a'::uuid, 'camille@atelier-dupont.test',
       '{"provider":"email","providers":["email"],"foxeo_role":"client","client_id":"11111111-1111-4111-8111-111111111111"}'::jsonb,
       '{"full_name":"Camille Martin"}'::jsonb),
      ('0b000000-0000-4000-8000-00000000000b'::uuid, 'bruno@boulangerie-bernard.test',
       '{"provider":"email","providers":["email"],"foxeo_role":"client","client_id":"22222222-2222-4222-8222-222222222222"}'::jsonb,
       '{"full_name":"Bruno Petit"}'::jsonb)
    ) as u(id, email, app_meta, user_meta)
    on conflict (id) do nothing
  $sql$;
end
$$;

insert into visio.meetings (id, title, description, client_id, created_by, scheduled_at, language)
values
  ('5eed0000-0000-4000-8000-0000000000a1', 'Lancement du projet', 'Cadrage et calendrier.',
   '11111111-1111-4111-8111-111111111111', '0e000000-0000-4000-8000-000000000001',
   now() - interval '7 days', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000a2', 'Revue des maquettes', 'Deuxième itération.',
   '11111111-1111-4111-8111-111111111111', '0e000000-0000-4000-8000-000000000001',
   now() - interval '10 minutes', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000a3', 'Point hebdomadaire', null,
   '11111111-1111-4111-8111-111111111111', '0e000000-0000-4000-8000-000000000001',
   now() + interval '2 days', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000a4', 'Atelier annulé', 'Reporté à une date ultérieure.',
   '11111111-1111-4111-8111-111111111111', '0e000000-0000-4000-8000-000000000001',
   now() + interval '1 day', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000b1', 'Bilan trimestriel', null,
   '22222222-2222-4222-8222-222222222222', '0e000000-0000-4000-8000-000000000001',
   now() - interval '3 days', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000b2', 'Démonstration en direct', null,
   '22222222-2222-4222-8222-222222222222', '0e000000-0000-4000-8000-000000000001',
   now() - interval '5 minutes', 'fr'),
  ('5eed0000-0000-4000-8000-0000000000b3', 'Weekly sync', 'Held in English.',
   '22222222-2222-4222-8222-222222222222', '0e000000-0000-4000-8000-000000000001',
   now() + interval '3 days', 'en'),
  ('5eed0000-0000-4000-8000-0000000000b4', 'Réunion annulée', null,
   '22222222-2222-4222-8222-222222222222', '0e000000-0000-4000-8000-000000000001',
   now() + interval '4 days', 'fr')
on conflict (id) do nothing;

-- completed: started at the scheduled time, ended 45 and 30 minutes later
update visio.meetings set status = 'in_progress', started_at = scheduled_at
where id in ('5eed0000-0000-4000-8000-0000000000a1', '5eed0000-0000-4000-8000-0000000000b1')
  and status = 'scheduled';
update visio.meetings set status = 'completed', ended_at = started_at + interval '45 minutes'
where id = '5eed0000-0000-4000-8000-0000000000a1' and status = 'in_progress';
update visio.meetings set status = 'completed', ended_at = started_at + interval '30 minutes'
where id = '5eed0000-0000-4000-8000-0000000000b1' and status = 'in_progress';

-- in progress (no OpenVidu session yet: the first token creates it)
update visio.meetings set status = 'in_progress', started_at = scheduled_at
where id in ('5eed0000-0000-4000-8000-0000000000a2', '5eed0000-0000-4000-8000-0000000000b2')
  and status = 'scheduled';

-- cancelled
update visio.meetings set status = 'cancelled'
where id in ('5eed0000-0000-4000-8000-0000000000a4', '5eed0000-0000-4000-8000-0000000000b4')
  and status = 'scheduled';

/**
 * A stand-in for playbooks/manage-fleet.yml, used only while the project has none: facts from
 * the OTA server, devices of other branches skipped, OS image per device type, configuration.
 */
export const STANDIN_PLAYBOOK = `- name: manage the fleet (demo stand-in)
  hosts: all
  gather_facts: false
  tasks:
    - name: facts from the OTA server
      mender_facts: {}
    - name: the branch each device follows (its own report first)
      set_fact:
        follows: "{{ mender.subscribed_branch | default(subscribed_branch | default(''), true) }}"
    - name: devices of other branches are left alone
      meta: end_host
      when: follows != fleetplay_branch
    - name: OS image
      mender_os_update:
        artifact: "{{ os_image_override | default(os_image[mender.device_type]) }}"
    - name: device configuration
      mender_config:
        config:
          kiosk_enabled: "{{ kiosk_enabled }}"
          kiosk_url: "{{ kiosk_url | default('') }}"
          gharunner_enabled: "{{ gharunner_enabled }}"
          monitoring_enabled: "{{ monitoring_enabled }}"
`;
